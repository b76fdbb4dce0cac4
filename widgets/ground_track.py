"""The ground-track map widget: draws a `MapScene` it is given, with colours from the theme."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from widgets.guard import guarded
from widgets.map_raster import (
    STYLE_COUNT,
    Layer,
    MapFrame,
    MapScene,
    compose,
    frame_runs,
    map_size_for,
)

_LAYER_CLASSES = {
    Layer.OCEAN: "ground-track--ocean",
    Layer.LAND: "ground-track--land",
    Layer.GRID: "ground-track--grid",
    Layer.FOOTPRINT: "ground-track--footprint",
    Layer.PAST: "ground-track--past",
    Layer.FUTURE: "ground-track--future",
    Layer.OBSERVER: "ground-track--observer",
    Layer.STATION: "ground-track--station",
}
# Layers that dim at night (the land and the grid are scenery; tracks and markers are not).
_DIMMED_AT_NIGHT = {Layer.OCEAN, Layer.LAND, Layer.GRID}


class GroundTrackMap(Widget):
    """World map with night side, past and future track, footprint, station and observer."""

    COMPONENT_CLASSES = {
        *_LAYER_CLASSES.values(),
        "ground-track--night",
        "ground-track--night-land",
    }

    DEFAULT_CSS = """
    GroundTrackMap {
        background: $background;
        min-height: 4;
        min-width: 16;
    }
    GroundTrackMap > .ground-track--ocean { color: $foreground-darken-3; }
    GroundTrackMap > .ground-track--land { color: $success; }
    GroundTrackMap > .ground-track--grid { color: $foreground-darken-3; }
    GroundTrackMap > .ground-track--footprint { color: $foreground-darken-1; }
    GroundTrackMap > .ground-track--past { color: $primary; }
    GroundTrackMap > .ground-track--future { color: $warning; }
    GroundTrackMap > .ground-track--observer { color: $accent; text-style: bold; }
    GroundTrackMap > .ground-track--station { color: $error; text-style: bold; }
    GroundTrackMap > .ground-track--night {
        background: $panel-darken-3;
        color: $foreground-darken-3;
    }
    GroundTrackMap > .ground-track--night-land { color: $success-darken-3; }
    """

    scene: reactive[MapScene | None] = reactive(
        None, layout=False, repaint=False, always_update=True
    )
    """What to draw; the widget repaints only when the composed frame actually changes."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._frame: MapFrame | None = None
        self._strips: list[Strip] | None = None
        self._style_table: list[Style] | None = None

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """With `height: auto`, as tall as the world map is at this width (2:1 in dots)."""
        return max(4, width // 4)

    def watch_scene(self, scene: MapScene | None) -> None:
        self._recompose_frame()

    def on_resize(self) -> None:
        self._recompose_frame(force=True)

    def notify_style_update(self) -> None:
        # A theme change alters colours, not cells.
        super().notify_style_update()
        self._style_table = None
        self._strips = None

    def _recompose_frame(self, force: bool = False) -> None:
        scene = self.scene
        width, height = map_size_for(self.size.width, self.size.height)
        if scene is None or width == 0:
            changed = self._frame is not None
            self._frame = None
        else:
            frame = compose(scene, width, height)
            old = self._frame
            changed = (
                old is None
                or old.size != frame.size
                or not np.array_equal(old.codes, frame.codes)
                or not np.array_equal(old.styles, frame.styles)
            )
            self._frame = frame
        if changed or force:
            self._strips = None
            self.refresh()

    def _styles(self) -> list[Style]:
        """Rich styles by style id, resolved from the theme once and kept until it changes."""
        if self._style_table is not None:
            return self._style_table
        night = self.get_component_rich_style("ground-track--night")
        night_land = self.get_component_rich_style("ground-track--night-land")
        night_bg = Style(bgcolor=night.bgcolor)
        styles: list[Style] = []
        for style_id in range(STYLE_COUNT):
            layer = Layer(style_id // 2)
            base = self.get_component_rich_style(_LAYER_CLASSES[layer])
            if style_id % 2:
                if layer == Layer.LAND:
                    base = base + Style(color=night_land.color)
                elif layer in _DIMMED_AT_NIGHT:
                    base = base + Style(color=night.color)
                base = base + night_bg
            styles.append(base)
        self._style_table = styles
        return styles

    def _strips_failed(self) -> list[Strip]:
        width = self.size.width
        notice = Strip(
            [Segment("⚠ map failed to draw (logged); retrying".ljust(width)[:width])], width
        )
        return [notice] + [Strip.blank(width)] * max(0, self.size.height - 1)

    @guarded(lambda self: self._strips_failed())
    def build_strips(self) -> list[Strip]:
        """All rows of the widget as strips (the map centred, blank around it)."""
        width, height = self.size.width, self.size.height
        background = self.rich_style
        blank = Strip([Segment(" " * width, background)], width)
        frame = self._frame
        if frame is None:
            return [blank] * height
        styles = self._styles()
        map_w, map_h = frame.size
        left = (width - map_w) // 2
        top = (height - map_h) // 2
        right = width - map_w - left
        pad_left = [Segment(" " * left, background)] if left else []
        pad_right = [Segment(" " * right, background)] if right else []
        text = frame.text()
        starts, row_ptr = frame_runs(frame.styles)
        bounds = starts.tolist()
        run_styles = [styles[i] for i in frame.styles.ravel()[starts].tolist()]
        strips = [blank] * top
        for y in range(map_h):
            row_end = (y + 1) * map_w
            first, last = int(row_ptr[y]), int(row_ptr[y + 1])
            segments = list(pad_left)
            for i in range(first, last):
                start = bounds[i]
                end = bounds[i + 1] if i + 1 < last else row_end
                segments.append(Segment(text[start:end], run_styles[i]))
            segments.extend(pad_right)
            strips.append(Strip(segments, width))
        strips.extend([blank] * (height - len(strips)))
        return strips

    def render_line(self, y: int) -> Strip:
        if self._strips is None or len(self._strips) != self.size.height:
            self._strips = self.build_strips()
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)
