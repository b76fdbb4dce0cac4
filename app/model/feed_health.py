"""The feed-health strip's view: each feed's health and the notices, at a time (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from issdash.feeds.health import FeedHealth
from issdash.model.state import MissionState


@dataclass(frozen=True, slots=True)
class HealthView:
    now: datetime
    feeds: Mapping[str, FeedHealth]
    notices: tuple[str, ...] = ()
    # A replay's feeds that its recording never answered: left out of the strip (they are not
    # replayed, so they are neither down nor "off").
    not_recorded: frozenset[str] = frozenset()


def build_health_view(
    state: MissionState,
    now: datetime,
    not_recorded: frozenset[str] = frozenset(),
    orbit_notices: Sequence[str] = (),
) -> HealthView:
    """`not_recorded`: feeds a replay's recording never answered (left out of the bar).
    `orbit_notices`: what the orbit says of itself at `now` (sources that disagree by more
    than 20 km, `issdash.model.orbit_source.disagreement_notices`), after the state's."""
    return HealthView(now, state.feeds, (*state.notices, *orbit_notices), not_recorded)
