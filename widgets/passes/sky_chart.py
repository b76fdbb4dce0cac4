"""The sky chart widget: draws one pass's path across the observer's sky, as it is given.

The drawing is `issdash.model.passes.sky_chart.compose_sky` (pure); this widget sizes it to itself,
centres it and colours its cells from the theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from issdash.model.map.frame import CellFrame
from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.model.passes.sky_chart import (
    SkyLayer,
    SkySample,
    chart_size_for,
    compose_sky,
)
from issdash.widgets.guard import guarded

_LAYER_CLASSES = {
    SkyLayer.EMPTY: "sky-chart--empty",
    SkyLayer.RING: "sky-chart--ring",
    SkyLayer.SHADOW: "sky-chart--shadow",
    SkyLayer.SUNLIT: "sky-chart--sunlit",
    SkyLayer.TICK: "sky-chart--tick",
    SkyLayer.LABEL: "sky-chart--label",
    SkyLayer.STATION: "sky-chart--station",
}


@dataclass(frozen=True, slots=True)
class SkyChartView:
    """What the chart shows: a pass's sampled path and, during the pass, where it is now."""

    path: Sequence[SkySample]
    # (azimuth, elevation) of the station now, while the pass is under way.
    now_position: tuple[float, float] | None = None


class SkyChart(Widget):
    """Horizon circle, N/E/S/W, the 30 and 60 degree rings, the path with minute ticks (solid
    while sunlit, dotted in Earth's shadow) and the station now."""

    COMPONENT_CLASSES = set(_LAYER_CLASSES.values())

    DEFAULT_CSS = """
    SkyChart { min-height: 5; min-width: 10; }
    SkyChart > .sky-chart--empty { color: $foreground-darken-3; }
    SkyChart > .sky-chart--ring { color: $foreground-darken-3; }
    SkyChart > .sky-chart--shadow { color: $primary-lighten-2; }
    SkyChart > .sky-chart--sunlit { color: $warning; text-style: bold; }
    SkyChart > .sky-chart--tick { color: $foreground; text-style: bold; }
    SkyChart > .sky-chart--label { color: $accent; text-style: bold; }
    SkyChart > .sky-chart--station { color: $error; text-style: bold; }
    """

    view: reactive[SkyChartView | None] = reactive(None, layout=False)
    """The pass to draw; None draws the empty sky (rings and compass points)."""

    def __init__(
        self,
        *,
        glyphs: MapGlyphs = BRAILLE,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.glyphs = glyphs  # braille, or the Linux console's line glyphs
        self._frame: CellFrame | None = None
        self._frame_key: tuple[object, ...] | None = None

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """With `width: auto`, twice the height it is given: the chart is round on screen."""
        return max(10, min(container.width, container.height * 2))

    def _current_frame(self) -> CellFrame | None:
        width, height = chart_size_for(self.size.width, self.size.height)
        if width == 0:
            return None
        view = self.view
        key = (width, height, view)
        if key != self._frame_key:
            path = view.path if view is not None else ()
            now = view.now_position if view is not None else None
            self._frame = compose_sky(path, width, height, now, self.glyphs)
            self._frame_key = key
        return self._frame

    def _failed_line(self, y: int) -> Strip:
        text = "⚠ chart failed to draw (logged)" if y == 0 else ""
        return Strip([Segment(text.ljust(self.size.width)[: self.size.width])])

    @guarded(lambda self, y: self._failed_line(y))
    def render_line(self, y: int) -> Strip:
        frame = self._current_frame()
        width = self.size.width
        if frame is None:
            return Strip.blank(width, self.rich_style)
        frame_w, frame_h = frame.size
        top = (self.size.height - frame_h) // 2
        row = y - top
        if not 0 <= row < frame_h:
            return Strip.blank(width, self.rich_style)
        left = (width - frame_w) // 2
        styles = [self.get_component_rich_style(c) for c in _LAYER_CLASSES.values()]
        text = frame.row_text(row)
        ids = frame.styles[row].tolist()
        segments: list[Segment] = []
        if left:
            segments.append(Segment(" " * left, self.rich_style))
        start = 0
        for x in range(1, frame_w + 1):
            if x == frame_w or ids[x] != ids[start]:
                segments.append(Segment(text[start:x], self.rich_style + styles[ids[start]]))
                start = x
        right = width - frame_w - left
        if right > 0:
            segments.append(Segment(" " * right, self.rich_style))
        return Strip(segments, width)
