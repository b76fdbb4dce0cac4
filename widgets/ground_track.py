"""The ground-track map widget: draws a `MapScene` it is given, with colours from the theme."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip

from issdash.model.map.frame import CellFrame
from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.model.map.raster import (
    STYLE_COUNT,
    Layer,
    MapScene,
    compose,
    frame_runs,
    map_size_for,
)
from issdash.widgets.guard import guarded
from issdash.widgets.line_cache import LineCache

_LAYER_CLASSES = {
    Layer.OCEAN: "ground-track--ocean",
    Layer.LAND: "ground-track--land",
    Layer.GRID: "ground-track--grid",
    Layer.FOOTPRINT: "ground-track--footprint",
    Layer.PAST: "ground-track--past",
    Layer.FUTURE: "ground-track--future",
    Layer.OBSERVER: "ground-track--observer",
    Layer.PAD: "ground-track--pad",
    Layer.STATION: "ground-track--station",
}
# Layers that dim at night (the land and the grid are scenery; tracks and markers are not).
_DIMMED_AT_NIGHT = {Layer.OCEAN, Layer.LAND, Layer.GRID}


class GroundTrackMap(LineCache):
    """World map with night side, past and future track, footprint, station and observer."""

    COMPONENT_CLASSES = {
        *_LAYER_CLASSES.values(),
        "ground-track--night",
        "ground-track--night-land",
    }

    # Night is a tint of the theme's primary colour over the background: a near-black on
    # black (the old $panel-darken-3) vanished once a 256-colour terminal rounded both to
    # black. The station is bright and bold, in a ring of its own dots (map_raster._RING).
    # On the Linux console backgrounds have only the 8 basic colours (bright ones are drawn
    # dark), so night there is blue (a colour every palette rounds to the console's blue;
    # an ansi_ name would pass through Textual's ANSI theme first). tests/test_map_colours.py
    # checks all of this after the downgrades a terminal really gets.
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
    GroundTrackMap > .ground-track--pad { color: $warning; text-style: bold; }
    GroundTrackMap > .ground-track--station { color: $error-lighten-2; text-style: bold; }
    GroundTrackMap > .ground-track--night {
        background: $primary 25%;
        color: $foreground-darken-3;
    }
    GroundTrackMap > .ground-track--night-land { color: $success-darken-1; }
    GroundTrackMap.-console > .ground-track--night { background: #000080; }
    """

    scene: reactive[MapScene | None] = reactive(
        None, layout=False, repaint=False, always_update=True
    )
    """What to draw; the widget repaints only when the composed frame actually changes."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        glyphs: MapGlyphs = BRAILLE,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # Braille, or block elements where the terminal has no braille (the Linux console).
        self.glyphs = glyphs
        self.set_class(glyphs.mode == "console", "-console")
        self._frame: CellFrame | None = None
        self._rows: _FrameRows | None = None
        self._style_table: list[Style] | None = None
        self._retry_pending = False

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
        self.redraw_all_rows()

    def redraw_all_rows(self) -> None:
        """Draw every row again on the next repaint (normally only changed rows are)."""
        self._rows = None
        self.forget_rows()
        self.refresh()

    @property
    def degrees_per_dot(self) -> float | None:
        """Longitude spanned by one braille dot at the current size (None before layout)."""
        width, _ = map_size_for(self.size.width, self.size.height)
        return 180.0 / width if width else None

    def _compose_frame(self) -> CellFrame | None:
        width, height = map_size_for(self.size.width, self.size.height)
        if self.scene is None or width == 0:
            return None
        return compose(self.scene, width, height, self.glyphs)

    def _compose_failed(self) -> None:
        # Drawn as the placeholder row by `build_row`, which composes again (and retries).
        self._frame = None
        self._rows = None
        self._strips.clear()
        self.refresh()

    # The resize path and a new scene both come here: a scene that cannot be composed (a
    # NaN from bad elements, say) must cost the map, never the app.
    @guarded(lambda self, force=False: self._compose_failed())
    def _recompose_frame(self, force: bool = False) -> None:
        """Compose the scene; repaint only the map rows whose cells changed.

        At replay speed 1 the station crosses a cell in about half a minute: most seconds
        nothing changes, and otherwise a handful of rows do, not the whole map.
        """
        old, frame = self._frame, self._compose_frame()
        self._frame = frame
        self._rows = None
        if force or old is None or frame is None or old.size != frame.size:
            self.forget_rows()
            self.refresh()
            return
        changed = np.flatnonzero(
            np.any(old.codes != frame.codes, axis=1) | np.any(old.styles != frame.styles, axis=1)
        )
        top = self._top(frame)
        self.refresh_rows(top + row for row in changed.tolist())

    def _top(self, frame: CellFrame) -> int:
        return (self.size.height - frame.size[1]) // 2

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

    def _row_failed(self, y: int) -> Strip:
        # Not kept: every row is drawn again a second from now (see row_not_kept).
        self.row_failed()
        width = self.size.width
        return Strip([Segment("⚠ map failed to draw (logged); retrying".ljust(width)[:width])])

    def _retry_rows(self) -> None:
        self._retry_pending = False
        self.redraw_all_rows()

    def _frame_rows(self, frame: CellFrame) -> _FrameRows:
        """What every row of this frame shares, worked out once: one segment per style run
        (runs never cross a row), the placement and the padding."""
        if self._rows is None:
            styles = self._styles()
            starts, row_ptr = frame_runs(frame.styles)
            text = frame.text()
            bounds = starts.tolist()
            pieces = [text[a:b] for a, b in zip(bounds, [*bounds[1:], len(text)], strict=True)]
            run_styles = [styles[i] for i in frame.styles.ravel()[starts].tolist()]
            width = self.size.width
            map_w = frame.size[0]
            left = (width - map_w) // 2
            right = width - map_w - left
            background = self.rich_style
            self._rows = _FrameRows(
                segments=list(map(Segment, pieces, run_styles)),
                row_ptr=row_ptr.tolist(),
                width=width,
                top=self._top(frame),
                pad_left=[Segment(" " * left, background)] if left else [],
                pad_right=[Segment(" " * right, background)] if right else [],
                blank=Strip.blank(width, background),
            )
        return self._rows

    @guarded(lambda self, y: self._row_failed(y))
    def build_row(self, y: int) -> Strip:
        """One row of the widget: a map row centred, or blank around the map."""
        frame = self._frame
        if frame is None:
            # The scene can arrive before the first layout gave us a size; compose it now so
            # the very first frame has the map rather than waiting for the resize event.
            frame = self._frame = self._compose_frame()
        if frame is None:
            return Strip.blank(self.size.width, self.rich_style)
        rows = self._frame_rows(frame)
        map_y = y - rows.top
        if not 0 <= map_y < frame.size[1]:
            return rows.blank
        runs = rows.segments[rows.row_ptr[map_y] : rows.row_ptr[map_y + 1]]
        return Strip([*rows.pad_left, *runs, *rows.pad_right], rows.width)

    def row_not_kept(self, y: int) -> None:
        if not self._retry_pending:
            # One retry for the whole map, redrawing every row: a failure is never left
            # as rows that are silently blank or stale next to cached ones.
            self._retry_pending = True
            self.set_timer(1.0, self._retry_rows)


@dataclass(frozen=True, slots=True)
class _FrameRows:
    segments: list[Segment]
    row_ptr: list[int]
    width: int
    top: int
    pad_left: list[Segment]
    pad_right: list[Segment]
    blank: Strip
