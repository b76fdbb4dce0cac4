"""The line-diffing panel base: what it draws, and that it follows the theme."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from issdash.widgets.text_lines import TextLines


class _Lines(TextLines):
    COMPONENT_CLASSES = {"lines--accent"}
    DEFAULT_CSS = """
    _Lines { height: auto; }
    _Lines > .lines--accent { color: $foreground; text-style: bold; }
    """

    def build_lines(self) -> list[Text]:
        accent = self.component_style("lines--accent")
        return [
            Text("whole line styled", style=accent),  # no spans: the Text's own style
            Text.assemble(("span ", accent), "plain"),
        ]


class _LinesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Lines()


async def test_a_text_style_without_spans_is_drawn() -> None:
    app = _LinesApp()
    async with app.run_test(size=(40, 5)) as pilot:
        widget = app.query_one(_Lines)
        widget.redraw_lines()
        await pilot.pause()
        accent = widget.get_component_rich_style("lines--accent")
        for y, text in ((0, "whole line styled"), (1, "span ")):
            segments = [s for s in widget.render_line(y) if s.text.strip()]
            first = segments[0]
            assert first.text.startswith(text.split()[0])
            assert first.style is not None and first.style.bold
            assert first.style.color == accent.color


async def test_lines_follow_a_theme_change() -> None:
    app = _LinesApp()
    async with app.run_test(size=(40, 5)) as pilot:
        widget = app.query_one(_Lines)
        widget.redraw_lines()
        await pilot.pause()
        before = widget.get_component_rich_style("lines--accent").color
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        after = widget.get_component_rich_style("lines--accent").color
        assert after != before
        drawn = next(s for s in widget.render_line(0) if s.text.strip())
        assert drawn.style is not None and drawn.style.color == after


class _Rows(TextLines):
    DEFAULT_CSS = "_Rows { height: auto; }"

    def __init__(self) -> None:
        super().__init__()
        self.words = ["one", "two", "three"]

    def build_lines(self) -> list[Text]:
        return [Text(w) for w in self.words]


class _RowsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Rows()


async def test_only_the_changed_lines_are_drawn_again() -> None:
    app = _RowsApp()
    async with app.run_test(size=(20, 5)) as pilot:
        widget = app.query_one(_Rows)
        widget.redraw_lines()
        await pilot.pause()
        before = [widget.render_line(y) for y in range(3)]
        widget.words = ["uno", "two", "tres"]
        widget.redraw_lines()
        await pilot.pause()
        after = [widget.render_line(y) for y in range(3)]
        assert after[1] is before[1]  # kept, not drawn again
        assert after[0].text.startswith("uno") and after[2].text.startswith("tres")
