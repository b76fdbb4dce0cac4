"""The dashboard's layout at each size class, and after any sequence of resizes.

The demo replay at a fixed moment (as in tests/test_app.py), driven headless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.pilot import Pilot
from textual.widgets import Digits

from issdash.model.layout import size_class
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.next_event import NextEventPanel
from tests.support.dashboards import demo_app, ms27_day_app, settle, wait_for_feeds

Size = tuple[int, int]
# A moment when the demo's hatch opening (an estimate) has passed unconfirmed.
HATCH_UNCONFIRMED = datetime(2025, 4, 8, 11, 29, tzinfo=UTC)


def screen_lines(app: IssDashApp) -> list[str]:
    """The screen as text, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_cells(app: IssDashApp) -> list[list[tuple[str, str]]]:
    """The screen as (text, style) segments: equal screens look the same, colours too."""
    return [
        [(segment.text, str(segment.style)) for segment in strip]
        for strip in app.screen._compositor.render_strips()
    ]


def layout_of(app: IssDashApp) -> dict[str, object]:
    """The app's classes, and the place and classes of every widget on screen (one inside a
    hidden panel has no place; it is laid out again, from the size, when it is shown)."""
    shown: dict[str, object] = {"app": sorted(app.classes)}
    for number, widget in enumerate(app.screen.walk_children()):
        key = f"{number}:{type(widget).__name__}#{widget.id}"
        on_screen = bool(widget.region) and widget.display
        shown[key] = (widget.region, sorted(widget.classes)) if on_screen else None
    return shown


async def _resize(pilot: Pilot[None], size: Size) -> None:
    await pilot.resize_terminal(*size)
    # The screen hears of a resize a tick after the app; then the layout, then a repaint.
    for _ in range(3):
        await pilot.pause()


async def at_rest(pilot: Pilot[None], app: IssDashApp) -> tuple[object, ...]:
    """The layout and the screen once they stop changing. A resize sets off a chain (the
    layout, panels whose height follows their new width asking for another after it): on a
    loaded machine that chain outlasts a fixed number of pauses, and the comparison then saw
    the middle of it. Three equal looks in a row, 40 pauses at most, the last look if never."""
    seen = (layout_of(app), screen_cells(app))
    same = 0
    for _ in range(40):
        await pilot.pause(0.02)
        now = (layout_of(app), screen_cells(app))
        same = same + 1 if now == seen else 0
        seen = now
        if same >= 3:
            break
    return seen


async def shown_after(sizes: Sequence[Size], at: datetime | None = None) -> tuple[object, ...]:
    """Start at sizes[0], resize through the rest; the layout and the screen at the end."""
    app = demo_app() if at is None else demo_app(at=at)
    async with app.run_test(size=sizes[0]) as pilot:
        await settle(pilot)
        for size in sizes[1:]:
            await _resize(pilot, size)
        return await at_rest(pilot, app)


def run(coro: object) -> tuple[object, ...]:
    assert asyncio.iscoroutine(coro)
    result: tuple[object, ...] = asyncio.run(coro)
    return result


async def test_back_at_120x40_after_80x24_is_a_fresh_120x40() -> None:
    """The issue's sequence: the side column, the map and the timeline come back."""
    fresh = await shown_after([(120, 40)])
    resized = await shown_after([(120, 40), (80, 24), (120, 40)])
    assert resized[0] == fresh[0]
    assert resized[1] == fresh[1]


_fresh: dict[Size, tuple[object, ...]] = {}
SIZES = st.one_of(
    st.sampled_from([(40, 15), (60, 20), (80, 24), (100, 30), (120, 40), (200, 60)]),
    st.tuples(st.integers(30, 220), st.integers(12, 64)),
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(st.lists(SIZES, min_size=2, max_size=4))
def test_any_resize_sequence_ends_as_a_fresh_start(sizes: list[Size]) -> None:
    """For any sequence of sizes ending at (w, h), the layout and the screen are those of a
    fresh start at (w, h)."""
    final = sizes[-1]
    if final not in _fresh:
        _fresh[final] = run(shown_after([final]))
    resized = run(shown_after(sizes))
    assert resized[0] == _fresh[final][0], f"layout differs after {sizes}"
    assert resized[1] == _fresh[final][1], f"screen differs after {sizes}"


async def test_too_small_says_so_cleanly_and_comes_back_when_enlarged() -> None:
    app = demo_app()
    async with app.run_test(size=(40, 15)) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        text = "\n".join(lines)
        assert "terminal too small" in text and "need 60x18" in text and "have 40x15" in text
        # Nothing else drawn: no half panels, no broken borders.
        assert not any(ch in text for ch in "╭╮╰╯│─")
        assert len([line for line in lines if line.strip()]) <= 2
        await _resize(pilot, (59, 30))
        assert "have 59x30" in "\n".join(screen_lines(app))
        await _resize(pilot, (120, 40))
        text = "\n".join(screen_lines(app))
        assert "too small" not in text
        assert "Ground track" in text and "Next event" in text
        assert app.is_running


async def test_small_keeps_the_map_and_the_whole_countdown_first() -> None:
    app = demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        map_widget = app.query_one(GroundTrackMap)
        frame = map_widget._frame
        assert frame is not None and frame.size[0] > 20
        digits = app.query_one("#next-event-digits", Digits)
        assert digits.display
        # All three rows of the digits are on screen, inside the panel.
        panel = app.query_one("#next-event-panel")
        assert digits.region.height == 3
        assert panel.region.contains_region(digits.region)
        assert "Telemetry" not in "\n".join(screen_lines(app))


async def test_80x24_has_no_scrollbar_and_shows_not_confirmed() -> None:
    app = demo_app(at=HATCH_UNCONFIRMED)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.query_one("#next-event-panel")
        assert not panel.show_vertical_scrollbar
        assert panel.virtual_size.height <= panel.scrollable_content_region.height
        text = "\n".join(screen_lines(app))
        assert "NOT CONFIRMED" in text
        assert "HATCH OPENING" in text


async def test_200x60_uses_the_room() -> None:
    app = demo_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        map_widget = app.query_one(GroundTrackMap)
        frame = map_widget._frame
        assert frame is not None
        # Not letterboxed: the map spans its panel but for the 2:1 rounding.
        assert map_widget.size.width - frame.size[0] < 4
        assert app.query_one("#side").size.width > 44
        text = "\n".join(screen_lines(app))
        assert "Harmony forward" in text  # port names whole
        assert "Anne McClain · Nichole Ayers" in text  # who came on each vehicle
        assert "launched" in text  # the roster's extra column's legend


@pytest.mark.parametrize(
    ("size", "big"), [((120, 40), True), ((80, 40), True), ((60, 20), False), ((80, 24), False)]
)
async def test_a_long_countdown_reads_in_days(tmp_path: Path, size: Size, big: bool) -> None:
    launch = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
    ahead = timedelta(days=11, hours=10, minutes=29, seconds=56)
    app = ms27_day_app(tmp_path, launch - ahead)
    async with app.run_test(size=size) as pilot:
        await wait_for_feeds(pilot, "launches")
        await pilot.pause()
        digits = app.query_one("#next-event-digits", Digits)
        assert digits.value == "11d 10:29:56"
        # Big when they fit the panel (34 columns), else one line: never cut.
        assert digits.display == big
        text = "\n".join(screen_lines(app))
        if big:
            assert panel_holds(app, digits)
        else:
            assert "T- 11d 10:29:56" in text
        assert "274:" not in text


def panel_holds(app: IssDashApp, digits: Digits) -> bool:
    panel = app.query_one(NextEventPanel)
    return panel.content_region.contains_region(digits.region)


SNAPSHOT_SIZES = [(40, 15), (60, 20), (80, 24), (120, 40), (200, 60)]


@pytest.mark.parametrize("size", SNAPSHOT_SIZES, ids=[f"{w}x{h}" for w, h in SNAPSHOT_SIZES])
def test_layout_snapshot(snap_compare: Callable[..., bool], size: Size) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)


RESIZE_SEQUENCE: list[Size] = [(120, 40), (80, 24), (60, 20), (200, 60), (120, 40)]


@pytest.mark.slow
def test_resize_sequence_snapshot(snap_compare: Callable[..., bool]) -> None:
    """120x40 -> 80x24 -> 60x20 -> 200x60 -> 120x40 draws what a fresh 120x40 draws."""
    fresh = run(shown_after([(120, 40)]))
    resized = run(shown_after(RESIZE_SEQUENCE))
    assert resized == fresh

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for size in RESIZE_SEQUENCE[1:]:
            await _resize(pilot, size)

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=run_before)


def test_size_class_is_what_the_app_applies() -> None:
    """The app's classes name the size class of the terminal it is in."""

    async def classes(size: Size) -> set[str]:
        app = demo_app()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            return {c for c in app.classes if c.startswith("-size-")}

    for size in [(40, 15), (60, 20), (80, 24), (120, 40), (200, 60)]:
        assert asyncio.run(classes(size)) == {f"-size-{size_class(*size).name}"}
