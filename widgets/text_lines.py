"""A panel drawn as lines of Rich Text, redrawing only the lines that changed.

The telemetry panel and the mission bar change every second, but only a few of their lines
do (the clock, the position, a countdown). Textual's usual `render()` path turns the whole
panel into strips again on any change; here each line is kept as a strip, only changed lines
are re-rendered, and only their rows are refreshed (the row cache is `LineCache`'s).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip

from issdash.widgets.guard import guarded, render_failed
from issdash.widgets.line_cache import LineCache
from issdash.widgets.style_cache import KeptStyles


def same_text(a: Text, b: Text) -> bool:
    """Whether two Texts draw the same (Text's own == ignores the base style)."""
    return a.plain == b.plain and a.style == b.style and a.spans == b.spans


class TextLines(KeptStyles, LineCache):
    """Subclasses implement `build_lines` and call `redraw_lines` when their view changes."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Text] = []
        self._base_style: Style | None = None

    def build_lines(self) -> list[Text]:
        """The lines to show now, from the widget's view and size (one Text per row)."""
        raise NotImplementedError

    @guarded(lambda self: [render_failed()])
    def _build(self) -> list[Text]:
        return self.build_lines()

    def redraw_lines(self) -> None:
        """Rebuild the lines; repaint the rows that changed, relayout if the count did."""
        lines = self._build()
        old, self._lines = self._lines, lines
        if len(lines) != len(old):
            self.forget_rows()
            self._relayout()
            # A relayout asked for inside a layout pass (a resize, a size class applied, a
            # panel shown) is lost: ask again once that pass is done.
            self.call_after_refresh(self._relayout)
            return
        self.refresh_rows(
            y
            for y, (before, after) in enumerate(zip(old, lines, strict=True))
            if not same_text(before, after)
        )

    def on_resize(self) -> None:
        # Widths decide truncation (and some panels' content): redraw every row.
        self.forget_rows()
        self.redraw_lines()
        self.refresh()

    def _relayout(self) -> None:
        self.clear_cached_dimensions()
        self.refresh(layout=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.forget_rows()
        self._base_style = None

    def restyle(self) -> None:
        # Colours come from the theme when the lines are built: rebuild them all.
        self.forget_rows()
        self._base_style = None
        self.redraw_lines()
        self.refresh()

    def render(self) -> Text:
        """All the lines as one Text (what the widget shows; drawing goes by `render_line`)."""
        return Text("\n").join(self._lines)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((line.cell_len for line in self._lines), default=0)

    def build_row(self, y: int) -> Strip:
        width = self.size.width
        if self._base_style is None:
            self._base_style = self.rich_style  # walks the ancestors: once per style change
        base = self._base_style
        if y >= len(self._lines) or width <= 0:
            return Strip.blank(width, base)
        line = self._lines[y]
        if cell_len(line.plain) > width:
            line = line.copy()
            line.truncate(width, overflow="ellipsis")
        console = self.app.console
        # Text.render leaves out the Text's own style when it has no spans; apply it here.
        style = base + console.get_style(line.style) if line.style else base
        segments = Segment.apply_style(line.render(console), style)
        return Strip(segments).adjust_cell_length(width, base)
