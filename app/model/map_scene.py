"""Building the map's scene from the state at a time (pure; no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from app.model.map_raster import MapScene, Run
from app.model.orbit import OrbitEngine, StationState, split_at_antimeridian
from app.model.state import MissionState


class MapSettings(Protocol):
    """The track lengths the scene is built with (`app.settings.MapSettings` is one)."""

    @property
    def past_track_min(self) -> float: ...
    @property
    def future_track_orbits(self) -> float: ...


# The terminator moves 0.04 degrees in 10 s, far less than a map cell on any terminal, so the
# Sun is placed once per 10-second step and the engine answers repeats from its cache.
SUBSOLAR_STEP_S = 10


@dataclass(frozen=True, slots=True)
class MapToggles:
    """What the user has switched on (keys n, f, t, g)."""

    night: bool = True
    footprint: bool = True
    tracks: bool = True
    grid: bool = False


def build_scene(
    engine: OrbitEngine,
    state: MissionState,
    station: StationState,
    now: datetime,
    settings: MapSettings,
    toggles: MapToggles,
) -> MapScene:
    past: tuple[Run, ...] = ()
    future: tuple[Run, ...] = ()
    if toggles.tracks:
        past_s = settings.past_track_min * 60.0
        future_s = settings.future_track_orbits * engine.period_min * 60.0
        track = engine.track_window(now, past_s, future_s)
        split = int(np.searchsorted(track.unix_s, now.timestamp()))
        here_lat = np.array([station.latitude_deg])
        here_lon = np.array([station.longitude_deg])
        # Both halves meet at the station itself, so the line has no gap at the marker.
        past = tuple(
            split_at_antimeridian(
                np.concatenate([track.latitude_deg[:split], here_lat]),
                np.concatenate([track.longitude_deg[:split], here_lon]),
            )
        )
        future = tuple(
            split_at_antimeridian(
                np.concatenate([here_lat, track.latitude_deg[split:]]),
                np.concatenate([here_lon, track.longitude_deg[split:]]),
            )
        )
    footprint: tuple[Run, ...] = ()
    if toggles.footprint:
        lat, lon = engine.footprint(
            station.latitude_deg, station.longitude_deg, station.altitude_km
        )
        footprint = tuple(split_at_antimeridian(lat, lon))
    observer = state.observer
    return MapScene(
        subsolar=engine.subsolar_point(
            datetime.fromtimestamp(scene_step(now) * SUBSOLAR_STEP_S, tz=UTC)
        ),
        past_track=past,
        future_track=future,
        footprint=footprint,
        station=(station.latitude_deg, station.longitude_deg),
        observer=(observer.latitude_deg, observer.longitude_deg) if observer else None,
        show_night=toggles.night,
        show_grid=toggles.grid,
    )


def scene_step(at: datetime) -> int:
    """Which 10-second step `at` is in: the app builds a new scene at least once a step, so
    the Sun and the ends of the tracks are never more than 10 s behind."""
    return int(at.timestamp() // SUBSOLAR_STEP_S)
