"""The big moments of a visit: liftoff, docking, hatch opening, announced when they happen
(pure; no Textual).

A moment fires when the timeline first shows its phase done (issdash.model.visits.timeline: a
source confirmed it; a time passing confirms nothing). When the phase's time comes and no
source confirms it yet, that is said too ("DOCKING  Soyuz MS-27  expected 08:57Z, not
confirmed"), and the confirmation, when it comes, takes its place at once. Each fires once;
it is not announced when it is already old news by the time it is seen (a dashboard started,
or a replay jumped, long after it). Each moment stays on screen for a few seconds of real
time, whatever the replay speed, so at 1000x a docking is still readable; moments that come
together wait their turn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from issdash.feeds.adapters.schedule import vehicle_key
from issdash.model.visits.timeline import PhaseKind, Timeline

MOMENT_KINDS: tuple[PhaseKind, ...] = ("launch", "docking", "hatch")
HEADLINES: dict[str, str] = {"launch": "LIFTOFF", "docking": "DOCKED", "hatch": "HATCHES OPEN"}
# The same moments when their time comes and no source confirms them yet.
DUE_HEADLINES: dict[str, str] = {"launch": "LAUNCH", "docking": "DOCKING", "hatch": "HATCH OPENING"}
# Seen done more than this long after it happened: not news any more, not announced. Long
# enough for a confirmation that lags (the crew list shows the crew aboard minutes after the
# hatches open), short enough that a start or a jump hours later stays quiet.
FRESH_FOR = timedelta(minutes=15)
# Real seconds each moment stays on screen.
SHOW_FOR_S = 6.0
# Moments waiting their turn; more than this at once (a jump over many) keeps the newest.
MAX_WAITING = 3


@dataclass(frozen=True, slots=True)
class Moment:
    kind: PhaseKind
    vehicle: str
    time: datetime  # when it happened (the phase's time, the one the timeline shows)
    estimated: bool  # the time is an estimate; `seen_at` is when a source confirmed it
    seen_at: datetime  # when the answer confirming it arrived (or, not confirmed, when seen due)
    # False: its time came and no source confirms it yet ("expected 08:57Z, not confirmed").
    confirmed: bool = True

    @property
    def headline(self) -> str:
        return HEADLINES[self.kind] if self.confirmed else DUE_HEADLINES[self.kind]

    def text(self) -> str:
        """One line: "LIFTOFF  Soyuz MS-27  05:47:15Z", for an estimate confirmed later
        "HATCHES OPEN  Soyuz MS-27  estimated 11:27Z, confirmed by 11:30Z", and for one not
        confirmed "DOCKING  Soyuz MS-27  expected 08:57Z, not confirmed"."""
        if not self.confirmed:
            return f"{self.headline}  {self.vehicle}  expected {self.time:%H:%M}Z, not confirmed"
        if not self.estimated:
            return f"{self.headline}  {self.vehicle}  {self.time:%H:%M:%S}Z"
        # An estimate stays one: its time is the timeline's, and when a source confirmed it
        # is said apart (the confirmation's time is not when it happened).
        return (
            f"{self.headline}  {self.vehicle}  estimated {self.time:%H:%M}Z,"
            f" confirmed by {self.seen_at:%H:%M}Z"
        )


class MomentTracker:
    """Fed the timelines on every tick; says which moment to show now, if any.

    `wall_s` is a monotonic real-time reading (the app passes `time.monotonic()`; tests pass
    numbers), used only for how long a moment stays up.
    """

    def __init__(self, show_for_s: float = SHOW_FOR_S, fresh_for: timedelta = FRESH_FOR) -> None:
        self.show_for_s = show_for_s
        self.fresh_for = fresh_for
        # (vehicle key, kind, confirmed) -> the phase time it fired (or was passed over) for.
        self._seen: dict[tuple[str, str, bool], datetime] = {}
        self._waiting: deque[Moment] = deque(maxlen=MAX_WAITING)
        self._current: Moment | None = None
        self._until_s = 0.0

    def update(self, timelines: list[Timeline], now: datetime, wall_s: float) -> Moment | None:
        # The clock went back before a moment (a restart, a jump back): it may come again.
        self._seen = {k: t for k, t in self._seen.items() if t <= now}
        if self._current is not None and self._current.time > now:
            self._current = None
        self._waiting = deque((m for m in self._waiting if m.time <= now), maxlen=MAX_WAITING)
        # Due (its time came, no source confirms it) or done (a source did), oldest first.
        found = sorted(
            (
                (t, p)
                for t in timelines
                for p in t.phases
                if p.kind in MOMENT_KINDS and p.time <= now
            ),
            key=lambda tp: tp[1].time,
        )
        for timeline, phase in found:
            key = (vehicle_key(timeline.vehicle), phase.kind, phase.done)
            if key in self._seen:
                continue
            self._seen[key] = phase.time
            if now - phase.time > self.fresh_for:
                continue  # old news: seen only long after it happened
            seen = phase.confirmed_at if phase.confirmed_at is not None else now
            moment = Moment(
                phase.kind,
                timeline.vehicle,
                phase.time,
                phase.estimated,
                min(seen, now),
                phase.done,
            )
            if phase.done:
                self._supersede(moment)
            self._waiting.append(moment)
        if self._current is not None and wall_s < self._until_s:
            return self._current
        self._current = None
        if self._waiting:
            self._current = self._waiting.popleft()
            self._until_s = wall_s + self.show_for_s
        return self._current

    def _supersede(self, confirmed: Moment) -> None:
        """The confirmation of a moment shown (or waiting) as not confirmed takes its place
        at once: "DOCKING ... not confirmed" must not stay up over the docking confirmed."""

        def same(m: Moment) -> bool:
            return not m.confirmed and m.kind == confirmed.kind and m.vehicle == confirmed.vehicle

        self._waiting = deque((m for m in self._waiting if not same(m)), maxlen=MAX_WAITING)
        if self._current is not None and same(self._current):
            self._current = None

    def dismiss(self) -> None:
        """Take down what is shown and waiting (the replay jumped: a liftoff banner must not
        hang over the docking the viewer jumped to). What was seen stays seen."""
        self._waiting.clear()
        self._current = None
