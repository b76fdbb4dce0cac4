"""The ground-track map's panel: a new scene only when one is due, and the legend that says
what the station's marker means at the elements' age.

The map is the one panel whose update keeps something between ticks (the scene last drawn),
so its registry entry makes a `MapScenes` per map widget (issdash.tui.panels.Panel.keeps).
"""

from __future__ import annotations

from textual.widget import Widget

from issdash.model.layout import SizeClass
from issdash.model.map.scene import build_scene, scene_step
from issdash.model.orbit import OrbitEngine, StationState
from issdash.model.telemetry import Orbit
from issdash.tui.frame import Frame
from issdash.widgets.ground_track import GroundTrackMap

MAP_LEGEND = (
    "[$error]◉[/] ISS  [$primary]━[/] past  [$warning]━[/] next  "
    "[$foreground-darken-1]◌[/] footprint"
)
# The marker's meaning changes with the elements' age (see issdash.feeds.elements): the legend
# says so.
MAP_LEGENDS = {
    "good": MAP_LEGEND,
    "approximate": MAP_LEGEND.replace("[$error]◉[/] ISS", "[$error]○[/] ISS (approximate)"),
    "uncertain": MAP_LEGEND.replace("[$error]◉[/] ISS", "[$error]━[/] ISS somewhere here"),
    "unusable": "elements unusable: no position",
}


class MapScenes:
    """Updates one map: called every tick with the frame."""

    def __init__(self, map_widget: GroundTrackMap) -> None:
        self.map = map_widget
        self.legend = MAP_LEGEND
        self.scene_key: tuple[object, ...] | None = None
        self.scene_station: tuple[float, float] | None = None

    def __call__(self, frame: Frame) -> None:
        if frame.orbit is not None:
            self.update(frame.orbit, frame)

    def update(self, orbit: Orbit, frame: Frame) -> None:
        """A new scene when one is due; elements unusable at `now` draw no station at all
        (never the last place it was seen, as if it were still there)."""
        state, now, toggles, pad = frame.state, frame.now, frame.toggles, frame.pad
        telemetry = orbit.telemetry
        error = telemetry.error if telemetry is not None else None
        legend = MAP_LEGENDS["unusable" if error is None else error.level]
        box = self.map.parent
        if self.legend != legend and isinstance(box, Widget):
            self.legend = legend
            box.border_subtitle = legend
        settings = frame.settings.map
        if telemetry is None:
            key: tuple[object, ...] = ("unusable", state.observer, toggles, scene_step(now), pad)
            if key != self.scene_key:
                self.map.scene = build_scene(
                    orbit.engine, state, None, now, settings, toggles, pad=pad
                )
                self.scene_key = key
                self.scene_station = None
            return
        scene_key = self.key_if_due(orbit.engine, frame, telemetry.station)
        if scene_key is not None:
            self.map.scene = build_scene(
                orbit.engine,
                state,
                telemetry.station,
                now,
                settings,
                toggles,
                telemetry.error,
                pad=pad,
            )
            # Recorded only once the scene is built: a failure retries on the next tick.
            self.scene_key = scene_key
            self.scene_station = (
                telemetry.station.latitude_deg,
                telemetry.station.longitude_deg,
            )

    def key_if_due(
        self, engine: OrbitEngine, frame: Frame, station: StationState
    ) -> tuple[object, ...] | None:
        """The map's inputs, if it needs a new scene: something it shows changed, a 10 s step
        passed (the Sun, and the track's ends, are redrawn per step), or the station moved a
        quarter of a dot since the last one. None when the last scene still stands.

        At replay speed 1 the station crosses a dot in 10-30 s, so rebuilding the scene every
        second only recomposed an identical map.
        """
        key = (
            # The engine: rebuilt for new elements and for a new trajectory or fit alike.
            engine,
            frame.state.observer,
            frame.toggles,
            frame.settings.map,
            self.map.size,
            scene_step(frame.now),
            frame.pad,
        )
        last = self.scene_station
        dot = self.map.degrees_per_dot
        moved = (
            last is None
            or dot is None
            or max(
                abs(station.latitude_deg - last[0]),
                abs((station.longitude_deg - last[1] + 180.0) % 360.0 - 180.0),
            )
            >= dot / 4
        )
        return key if key != self.scene_key or moved else None


class MapRows:
    """The map's rows: fewer while the launch card shows, when the size class says so
    (issdash.model.layout's `map_rows_with_card`)."""

    def __init__(self) -> None:
        self.map: Widget | None = None
        self.layout: SizeClass | None = None
        self.card = False
        self.rows: int | None = None

    def fit(self, *, layout: SizeClass | None = None, card: bool | None = None) -> None:
        self.layout = layout or self.layout
        self.card = self.card if card is None else card
        if self.layout is None or self.map is None:
            return
        rows = self.layout.map_rows_with_card if self.card else self.layout.map_rows
        if rows != self.rows:  # called every tick: restyle (and relayout) on change only
            self.rows = rows
            self.map.styles.max_height = rows
