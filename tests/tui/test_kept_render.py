"""Widgets keep the lines they drew: an idle repaint draws only the widgets that changed."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Digits

from issdash.feeds.clock import FrozenClock
from issdash.widgets.kept_render import KeptRender
from tests.support.dashboards import demo_app, settle


class _Drawn(Widget):
    """Counts the times Textual draws its lines (the layer under KeptRender)."""

    DEFAULT_CSS = "_Drawn { height: 1; }"
    label: reactive[str] = reactive("")

    def __init__(self, label: str, *, id: str) -> None:
        super().__init__(id=id)
        self.label = label
        self.drawn = 0

    def render(self) -> Text:
        return Text(self.label)

    def render_lines(self, crop: Region) -> list[Strip]:
        self.drawn += 1
        return super().render_lines(crop)


class _Kept(KeptRender, _Drawn):
    pass


class _Screenful(App[None]):
    CSS = "#gap { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield _Kept("clock 1", id="top")
        yield _Kept("still", id="kept")
        yield _Drawn("still", id="plain")
        yield Widget(id="gap")
        yield _Kept("age 1", id="bottom")


async def test_a_repaint_spanning_the_screen_draws_only_what_changed() -> None:
    app = _Screenful()
    async with app.run_test(size=(30, 10)) as pilot:
        await pilot.pause()
        top, kept, plain, bottom = (
            app.query_one(f"#{i}", _Drawn) for i in ("top", "kept", "plain", "bottom")
        )
        for second in range(2, 5):
            before = {w.id: w.drawn for w in (top, kept, plain, bottom)}
            # The first row and the last change (the clock and the feed ages).
            top.label, bottom.label = f"clock {second}", f"age {second}"
            await pilot.pause()
            assert top.drawn > before["top"] and bottom.drawn > before["bottom"]
            # Textual asks every widget between them for its lines ...
            assert plain.drawn > before["plain"]
            # ... and the kept one hands back what it drew, without drawing again.
            assert kept.drawn == before["kept"]
        assert "clock 4" in str(top.render_lines(Region(0, 0, 30, 1))[0].text)


async def test_kept_lines_follow_a_change_of_content_theme_and_size() -> None:
    app = _Screenful()
    async with app.run_test(size=(30, 10)) as pilot:
        await pilot.pause()
        kept = app.query_one("#kept", _Kept)

        def line() -> Strip:
            return kept.render_lines(Region(0, 0, kept.size.width, 1))[0]

        first = line()
        kept.label = "moved"
        await pilot.pause()
        assert line().text.startswith("moved")
        before = line()
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        await pilot.pause()
        assert [s.style for s in line()] != [s.style for s in before]
        await pilot.resize_terminal(20, 10)
        await pilot.pause()
        assert line().cell_length == 20 != first.cell_length


async def test_the_dashboard_kept_lines_are_the_lines_drawn_now() -> None:
    """Second by second, what each kept widget hands the compositor is what it would draw
    if asked afresh (no change is missed)."""
    app = demo_app()
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        kept = [
            w
            for w in app.screen.walk_children(Widget)
            if isinstance(w, KeptRender) and w.display and w.size
        ]
        assert len(kept) >= 10
        for _ in range(4):
            for widget in kept:
                widget.render_lines(widget.size.region)
            clock.advance(1)
            app._tick()
            await pilot.pause()
            for widget in kept:
                crop = widget.size.region
                handed = widget.render_lines(crop)
                widget.forget_render()
                assert widget.render_lines(crop) == handed, widget


async def test_the_countdown_draws_what_textual_s_digits_draw_as_it_moves() -> None:
    """The big countdown builds its rows itself, kept for its count, width and style: each of
    them changing gives the rows Textual's own Digits would draw now."""
    app = demo_app()
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        digits = app.query_one("#next-event-digits", Digits)

        def rows() -> list[list[tuple[str, object]]]:
            ours = [[(s.text, s.style) for s in digits.render_line(y).simplify()] for y in range(3)]
            textual = [
                [(s.text, s.style) for s in Widget.render_line(digits, y).simplify()]
                for y in range(3)
            ]
            assert ours == textual
            return ours

        seen = [rows()]
        for _ in range(2):
            clock.advance(1)
            app._tick()
            await pilot.pause()
            seen.append(rows())
        assert seen[0] != seen[1] != seen[2]  # a new count each second
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        await pilot.pause()
        assert rows() != seen[-1]  # the same count in the new theme's colours
        await pilot.resize_terminal(110, 40)
        await pilot.pause()
        rows()
