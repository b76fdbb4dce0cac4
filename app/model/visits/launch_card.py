"""The launch card: before a launch to the station, what is about to fly, from where, with whom
(pure; no Textual).

Everything on it comes from the launch record (Launch Library 2, parsed and checked in
issdash.feeds.adapters.schedule); a field the record does not give is said to be unknown, never
filled in from elsewhere. The card goes when the record says the rocket lifted off, not when
its scheduled time passes: past that time and not confirmed, it stays and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from issdash.feeds.adapters.schedule import Launch, LaunchCrewMember
from issdash.model.state import MissionState
from issdash.model.visits.timeline import LIFTED_OFF

# The card is up from this long before the launch until liftoff: a launch weeks away is the
# countdown's business, not worth a panel yet.
CARD_AHEAD = timedelta(hours=48)
# LL2 status abbreviations of a launch that is over (it will not lift off again).
_OVER = {"success", "failure", "partial failure"}
# Past its time with no report of a liftoff, the card stays up this long (a hold in the
# window, or a record not yet updated); longer, and it is the countdown panel's business.
CARD_UNCONFIRMED_FOR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LaunchCardView:
    now: datetime
    vehicle: str
    net: datetime
    rocket: str | None  # None: not known
    pad: str | None
    pad_place: tuple[float, float] | None  # (latitude_deg, longitude_deg)
    crew: tuple[LaunchCrewMember, ...] | None  # None: not known; (): none listed
    status: str | None

    @property
    def seconds_to_launch(self) -> float:
        return (self.net - self.now).total_seconds()

    @property
    def unconfirmed(self) -> bool:
        """Its time has passed and the record does not (yet) say it lifted off."""
        return self.seconds_to_launch <= 0


def next_launch(state: MissionState, now: datetime) -> Launch | None:
    """The soonest launch still to come within CARD_AHEAD, or past its time by at most
    CARD_UNCONFIRMED_FOR with no report that it lifted off."""
    received = state.launches
    if received is None:
        return None
    upcoming = [
        launch
        for launch in received.value.launches
        if now - CARD_UNCONFIRMED_FOR < launch.net <= now + CARD_AHEAD
        and (launch.status or "").strip().lower() not in _OVER | LIFTED_OFF
    ]
    return min(upcoming, key=lambda launch: launch.net, default=None)


def launch_card(state: MissionState, now: datetime) -> LaunchCardView | None:
    """The card for the next launch, or None when no launch is close."""
    launch = next_launch(state, now)
    if launch is None:
        return None
    place = (
        (launch.pad_latitude_deg, launch.pad_longitude_deg)
        if launch.pad_latitude_deg is not None and launch.pad_longitude_deg is not None
        else None
    )
    return LaunchCardView(
        now=now,
        vehicle=launch.vehicle,
        net=launch.net,
        rocket=launch.rocket,
        pad=launch.pad,
        pad_place=place,
        crew=launch.crew,
        status=launch.status,
    )
