"""The Station panel's view: the station's own report (ISSLIVE) and whether its feed is on
(pure; the model of the station itself is issdash.model.station)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from issdash.model.state import MissionState
from issdash.model.station import StationModel


@dataclass(frozen=True, slots=True)
class StationView:
    now: datetime
    station: StationModel | None
    enabled: bool = True
    error: str | None = None


def build_station_view(state: MissionState, now: datetime) -> StationView:
    health = state.feeds.get("telemetry")
    return StationView(
        now,
        state.station,
        enabled=health is not None and health.enabled,
        error=health.last_error if health else None,
    )
