"""Building the map's scene from the state at a time (pure; no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np

from issdash.feeds.elements import ExpectedError
from issdash.model.map.raster import MapScene, Run
from issdash.model.orbit import OrbitEngine, StationState, split_at_antimeridian
from issdash.model.state import MissionState


class MapSettings(Protocol):
    """The track lengths the scene is built with (`issdash.config.settings.MapSettings` is one)."""

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


# Points drawn across the uncertainty region (enough for a smooth band at any map size).
_REGION_POINTS = 240


def build_scene(
    engine: OrbitEngine,
    state: MissionState,
    station: StationState | None,
    now: datetime,
    settings: MapSettings,
    toggles: MapToggles,
    error: ExpectedError | None = None,
    pad: tuple[float, float] | None = None,
) -> MapScene:
    """The map at `now`. `station` None: the elements cannot be propagated to `now`, so no
    station, track or footprint is drawn. `error`: how far off the position may be; past a few
    days the marker is approximate, past two weeks a region along the track replaces it. `pad`:
    where a launch is about to lift off (issdash.model.visits.launch_card), marked ▲."""
    observer = state.observer
    subsolar = engine.subsolar_point(
        datetime.fromtimestamp(scene_step(now) * SUBSOLAR_STEP_S, tz=UTC)
    )
    if station is None:
        return MapScene(
            subsolar=subsolar,
            observer=(observer.latitude_deg, observer.longitude_deg) if observer else None,
            pad=pad,
            show_night=toggles.night,
            show_grid=toggles.grid,
        )
    level = error.level if error is not None else "good"
    region: tuple[Run, ...] = ()
    if error is not None and not error.position_known:
        region = uncertainty_region(engine, station, now, error.median_km)
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
    if toggles.footprint and not region:  # a horizon circle around a guess is no help
        lat, lon = engine.footprint(
            station.latitude_deg, station.longitude_deg, station.altitude_km
        )
        footprint = tuple(split_at_antimeridian(lat, lon))
    return MapScene(
        subsolar=subsolar,
        past_track=past,
        future_track=future,
        footprint=footprint,
        station=None if region else (station.latitude_deg, station.longitude_deg),
        station_approximate=level != "good",
        station_region=region,
        observer=(observer.latitude_deg, observer.longitude_deg) if observer else None,
        pad=pad,
        show_night=toggles.night,
        show_grid=toggles.grid,
    )


def uncertainty_region(
    engine: OrbitEngine, station: StationState, now: datetime, along_track_km: float
) -> tuple[Run, ...]:
    """The stretch of track within `along_track_km` of the propagated position, either way:
    where the station may be when the elements are too old to claim one place."""
    half_s = along_track_km / max(station.speed_km_s, 1.0)
    half_s = min(half_s, engine.period_min * 30.0)  # never more than the whole orbit
    track = engine.ground_track(
        now - timedelta(seconds=half_s),
        now + timedelta(seconds=half_s),
        step_s=max(1.0, 2 * half_s / _REGION_POINTS),
    )
    return tuple(split_at_antimeridian(track.latitude_deg, track.longitude_deg))


def scene_step(at: datetime) -> int:
    """Which 10-second step `at` is in: the app builds a new scene at least once a step, so
    the Sun and the ends of the tracks are never more than 10 s behind."""
    return int(at.timestamp() // SUBSOLAR_STEP_S)
