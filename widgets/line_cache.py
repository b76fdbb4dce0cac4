"""The base of widgets drawn row by row that keep each row until it changes.

Modelled on Textual's own `Log`: a cache of strips by row, and `refresh_lines` to forget and
repaint some rows. The ground-track map and the `TextLines` panels (telemetry, mission bar,
feed strip) redraw every second, yet from one second to the next only a few rows change; they
say which, and only those are built and painted again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from issdash.widgets.kept_render import KeptRender


class LineCache(KeptRender, Widget):
    """Subclasses implement `build_row`; a row whose build failed calls `row_failed` and is
    not kept (see `row_not_kept`)."""

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._strips: dict[int, Strip] = {}
        self._row_ok = True

    def build_row(self, y: int) -> Strip:
        """Row `y` of the widget, drawn now."""
        raise NotImplementedError

    def row_failed(self) -> None:
        """Called from within `build_row`: the row being built is a placeholder, not kept."""
        self._row_ok = False

    def row_not_kept(self, y: int) -> None:
        """A row was built as a placeholder (the default does nothing more)."""

    def refresh_lines(self, y_start: int, line_count: int = 1) -> None:
        """Forget these rows and repaint them."""
        self.refresh_rows(range(y_start, y_start + line_count))

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """Forget these rows and repaint them, in one refresh (each costs a pass over the
        widget's dirty regions and a wake-up of the app)."""
        width = self.size.width
        regions = [Region(0, y, width, 1) for y in rows]
        for region in regions:
            self._strips.pop(region.y, None)
        if regions:
            self.refresh(*regions)

    def forget_rows(self) -> None:
        """Forget every row; the next repaint builds them all again."""
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            self._row_ok = True
            strip = self.build_row(y)
            if self._row_ok:
                self._strips[y] = strip
            else:
                self.row_not_kept(y)
        return strip
