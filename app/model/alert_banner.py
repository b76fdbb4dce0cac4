"""The alert banner's view: every feed down (with the freshest data's age), else a moment
to announce (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from issdash.model.certainty import all_feeds_down
from issdash.model.state import MissionState
from issdash.model.visits.moments import Moment


@dataclass(frozen=True, slots=True)
class AlertView:
    all_down: bool
    newest_data_age_s: float | None  # the freshest data on screen, or None if there is none
    feeds: int
    # A moment to announce (issdash.model.visits.moments), shown while no alarm is.
    moment: Moment | None = None


def build_alert_view(state: MissionState, now: datetime, moment: Moment | None = None) -> AlertView:
    """Every enabled feed failing, or silent past its first deadline: the banner says so,
    with the age of the freshest data. Otherwise it announces `moment`, if any."""
    down = all_feeds_down(state, now)
    return AlertView(down.all_down, down.newest_data_age_s, down.feeds, moment)
