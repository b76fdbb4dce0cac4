"""The demo's first frame loads nothing it does not draw with (issue 26): not `numpy.ma` (the
recording index's distinct values are found without `np.unique`, which imports it) and not the
Linux console's line filter (only a console draws with it). Checked in a fresh interpreter
(tests.support.processes.run_isolated), where nothing else has loaded those modules."""

from __future__ import annotations

from tests.support.processes import run_isolated

NOT_AT_FIRST_FRAME = ("numpy.ma", "issdash.tui.console_screen")


def test_the_demos_first_frame_loads_neither_numpy_ma_nor_the_console_glyphs() -> None:
    result = run_isolated(
        f"""
        import asyncio, json, sys
        from tests.support.dashboards import demo_app, screen_text

        WATCHED = {NOT_AT_FIRST_FRAME!r}

        async def main():
            app = demo_app(observer=None)  # as `issdash --demo`: no pass search
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                await pilot.pause()
                drawn = "Crew aboard the ISS" in screen_text(app)
                loaded = [m for m in WATCHED if m in sys.modules]
            return {{"drawn": [str(drawn)], "loaded": loaded}}

        print(json.dumps(asyncio.run(main())))
        """
    )
    assert result["drawn"] == ["True"]
    assert result["loaded"] == []
