"""Pass alerts: when to nudge the observer before a visible pass, and what to say. Pure.

Two alerts per visible pass: `lead` before the station becomes visible ("soon"), and when it
does ("now"). The scheduler only decides; the shell (issdash.tui.passes.alert_effects) rings the
bell, sends the desktop notification and runs the hook.

Decisions (tested in tests/test_pass_alerts.py):
- Each alert fires at most once per pass for the life of the scheduler: not on every tick,
  and not again when the clock goes back (a replay restarted, or looping): the same pass never
  rings twice. A pass is recognised by its culmination time within `SAME_PASS`, so new
  elements that move it by seconds do not make it a new pass.
- An alert falls due when the clock crosses its time between two calls. It fires if that is
  no more than `max_late` ago (a tick at replay speed 1000 covers minutes of mission time:
  the app passes a `max_late` that covers one tick); one skipped over by a jump (the replay's
  `n`, a suspended laptop) is reported as missed, never fired late.
- Nothing is due before the first call with passes known: an app started five minutes before
  a pass does not ring for the alert ten minutes before it (the banner and the table show it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import brightness_words, compass_point

DEFAULT_LEAD = timedelta(minutes=10)
# Passes are ~90 min apart: one culminating within this of another is the same pass.
SAME_PASS = timedelta(minutes=10)
DEFAULT_MAX_LATE = timedelta(minutes=1)

AlertKind = Literal["soon", "now"]


@dataclass(frozen=True, slots=True)
class PassAlert:
    """One alert of one pass."""

    kind: AlertKind
    due: datetime
    pass_: Pass
    message: str


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """An alert whose time came: `fired`, or `missed` (skipped over by a jump)."""

    alert: PassAlert
    status: Literal["fired", "missed"]


def visible_start(p: Pass) -> datetime:
    """When the pass becomes visible (its rise, unless it comes out of shadow later)."""
    return p.visible_from if p.visible_from is not None else p.rise


def alert_message(p: Pass, kind: AlertKind, lead: timedelta) -> str:
    """ "ISS visible in 10 min, look NW, up to 64°, very bright"."""
    start = visible_start(p)
    if kind == "soon":
        minutes = round(lead.total_seconds() / 60)
        when = f"ISS visible in {minutes} min"
    else:
        when = "ISS visible now"
    # Where it first shows: where it rises, unless it comes out of shadow later (then only the
    # way it is heading can be said from the pass alone).
    if start > p.rise + timedelta(seconds=30):
        where = (
            f"look {compass_point(p.culminate_azimuth_deg)} to {compass_point(p.set_azimuth_deg)}"
        )
    else:
        where = f"look {compass_point(p.rise_azimuth_deg)}"
    return f"{when}, {where}, up to {p.max_elevation_deg:.0f}°, {brightness_words(p.magnitude)}"


def pass_alerts(p: Pass, lead: timedelta) -> tuple[PassAlert, ...]:
    """The alerts of one pass: none when it is not visible."""
    if not p.visible:
        return ()
    start = visible_start(p)
    now = PassAlert("now", start, p, alert_message(p, "now", lead))
    if round(lead.total_seconds() / 60) < 1:
        # A lead of under a minute ("in 0 min") would ring twice at once: the rise alone.
        return (now,)
    return (PassAlert("soon", start - lead, p, alert_message(p, "soon", lead)), now)


def banner_alert(passes: Sequence[Pass] | None, now: datetime, lead: timedelta) -> PassAlert | None:
    """The alert a kiosk banner shows at `now`: from `lead` before a visible pass shows until
    it ends being visible. A view, not an event: it is there whenever the time is."""
    for p in passes or ():
        if not p.visible:
            continue
        start = visible_start(p)
        end = p.visible_until if p.visible_until is not None else p.set
        if start - lead <= now < start:
            minutes = max(1, round((start - now).total_seconds() / 60))
            return PassAlert(
                "soon", start - lead, p, alert_message(p, "soon", timedelta(minutes=minutes))
            )
        if start <= now < end:
            return PassAlert("now", start, p, alert_message(p, "now", lead))
    return None


class AlertScheduler:
    """Which alerts fall due as the clock moves; each at most once (see the module doc)."""

    def __init__(self, lead: timedelta = DEFAULT_LEAD) -> None:
        self.lead = lead
        self._last: datetime | None = None
        self._done: dict[AlertKind, list[datetime]] = {"soon": [], "now": []}

    def _seen(self, alert: PassAlert) -> bool:
        culminate = alert.pass_.culminate
        return any(abs(c - culminate) <= SAME_PASS for c in self._done[alert.kind])

    def advance(
        self,
        now: datetime,
        passes: Sequence[Pass] | None,
        max_late: timedelta = DEFAULT_MAX_LATE,
    ) -> list[AlertOutcome]:
        """The alerts whose time came since the last call. `passes` None (not searched yet)
        keeps the window open until they are known."""
        if passes is None:
            return []
        last, self._last = self._last, now
        if last is None or now <= last:
            # The first look, or the clock went back: nothing is due now (and what already
            # fired stays fired).
            return []
        outcomes: list[AlertOutcome] = []
        for p in passes:
            for alert in pass_alerts(p, self.lead):
                if not last < alert.due <= now or self._seen(alert):
                    continue
                self._done[alert.kind].append(alert.pass_.culminate)
                late = now - alert.due
                outcomes.append(AlertOutcome(alert, "fired" if late <= max_late else "missed"))
        outcomes.sort(key=lambda o: o.alert.due)
        return outcomes

    def jumped(self, now: datetime, passes: Sequence[Pass] | None) -> list[AlertOutcome]:
        """The clock was moved on purpose (a replay jump or restart; `passes` are those known
        before it): what fell in the skipped stretch is missed, never fired late, and the next
        `advance` starts from `now`."""
        if passes is None or self._last is None or now <= self._last:
            self._last = now
            return []
        return [AlertOutcome(o.alert, "missed") for o in self.advance(now, passes, timedelta(-1))]
