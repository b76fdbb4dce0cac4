"""The mission bar's view: the clock, the mode and its badge, the replay's speed, and the next
burn NASA's trajectory plans (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from issdash.feeds.clock import clock_doubt
from issdash.model.certainty import Badge, mode_badge
from issdash.model.manoeuvres import burn_words, next_burn
from issdash.model.replay_control import ReplayControl
from issdash.model.state import MissionState


@dataclass(frozen=True, slots=True)
class MissionBarView:
    now: datetime
    mode: str
    speed: float
    detail: str = ""
    paused: bool = False
    ended: bool = False
    # Live mode: what the feeds say this screen is (None: plain LIVE, for older callers).
    badge: Badge | None = None
    clock_warning: str = ""  # the machine's clock looks wrong: said next to the clock
    # The coming burn in words, "Reboost 0.4 m/s in 2d 03:14, planned" ("": none planned):
    # on the top bar it is seen on every screen, the planner's too, whose passes it moves.
    burn: str = ""


def build_mission_bar_view(
    state: MissionState,
    now: datetime,
    *,
    live_speed: float,
    replay: ReplayControl,
    recording_title: str | None,
) -> MissionBarView:
    """Live (`recording_title` None): the clock's speed, the mode's badge and any doubt about
    the machine's clock. A replay: its title and the replay's speed, pause and end (only the
    machine's own clock can be wrong: a replay's clock is the recording's)."""
    coming = next_burn(state, now)
    burn = f"{burn_words(coming, now)}, planned" if coming is not None else ""
    if recording_title is None:
        choice = state.elements_at(now)
        doubt = clock_doubt(now, choice.elements.epoch if choice is not None else None)
        return MissionBarView(
            now,
            state.mode,
            live_speed,
            badge=mode_badge(state, now),
            clock_warning=doubt or "",
            burn=burn,
        )
    return MissionBarView(
        now,
        state.mode,
        replay.speed,
        detail=recording_title,
        paused=replay.paused,
        ended=replay.ended,
        burn=burn,
    )
