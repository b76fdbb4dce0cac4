"""Passes that move: when the orbit the passes come from changes (new elements, NASA's new
trajectory), which visible passes moved, appeared or vanished, and why, in words (pure).

The planner marks each such row ("19:27 (was 19:25)", "new"), says the vanished ones above
its table, and with alerts on one notice says it all ("Tue 19:25 pass now 19:27, after the
reboost"). Only visible passes are compared: nobody goes out for the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from issdash.model.manoeuvres import Manoeuvre
from issdash.model.passes.finder import Pass

# One pass of each list is the same pass when they culminate within this (passes are ~90 min
# apart; a reboost moves one by seconds to minutes), as the alerts recognise a pass.
SAME_PASS = timedelta(minutes=10)
# A rise that moved by more than this is told: less is within what anyone would notice.
MOVED_BY = timedelta(seconds=10)

ChangeKind = Literal["moved", "appeared", "vanished"]
# Which orbit the new passes come from (the orbit source's names), in words.
_SOURCE_WORDS = {
    "nasa-oem": "after NASA's new trajectory",
    "celestrak-supgp": "after CelesTrak's new fitted elements",
}
_BURN_WORDS = {"reboost": "after the reboost", "avoidance": "after the debris avoidance burn"}


@dataclass(frozen=True, slots=True)
class PassChange:
    """One visible pass that moved (`before` and `after`), appeared (`after` only: new, or
    visible now) or vanished (`before` only: gone, or no longer visible)."""

    kind: ChangeKind
    before: Pass | None
    after: Pass | None

    @property
    def time(self) -> datetime:
        """When the pass rises now (or rose, for one that vanished)."""
        shown = self.after or self.before
        assert shown is not None
        return shown.rise


def _match(p: Pass, others: Iterable[Pass]) -> Pass | None:
    return min(
        (o for o in others if abs(o.culminate - p.culminate) <= SAME_PASS),
        key=lambda o: abs(o.culminate - p.culminate),
        default=None,
    )


def diff_passes(
    before: Sequence[Pass], after: Sequence[Pass], since: datetime, until: datetime
) -> tuple[PassChange, ...]:
    """The visible passes between `since` and `until` that moved by more than 10 s, appeared
    or vanished from `before` to `after`, in time order. `until` is where both searches still
    cover (a pass past the end of the older search is not "new")."""

    def inside(p: Pass) -> bool:
        return p.set > since and p.rise < until - SAME_PASS

    old = [p for p in before if inside(p)]
    new = [p for p in after if inside(p)]
    changes: list[PassChange] = []
    for p in old:
        if not p.visible:
            continue
        twin = _match(p, new)
        if twin is None or not twin.visible:
            changes.append(PassChange("vanished", p, None))
        elif abs(twin.rise - p.rise) > MOVED_BY:
            changes.append(PassChange("moved", p, twin))
    for p in new:
        twin = _match(p, old)
        if p.visible and (twin is None or not twin.visible):
            changes.append(PassChange("appeared", None, p))
    return tuple(sorted(changes, key=lambda c: c.time))


def change_reason(
    changes: Sequence[PassChange],
    burns: Iterable[Manoeuvre],
    old_epoch: datetime | None,
    source: str = "elements",
) -> str:
    """Why the passes changed: "after the reboost" when a burn lies between the old orbit's
    epoch and the first changed pass (the old orbit could not know it), else the new source
    ("after new elements", "after NASA's new trajectory")."""
    if changes:
        first = changes[0].time
        for burn in burns:
            if (old_epoch is None or old_epoch < burn.time) and burn.time <= first:
                return _BURN_WORDS.get(burn.kind, "after a burn")
    return _SOURCE_WORDS.get(source, "after new elements")


@dataclass(frozen=True, slots=True)
class PassChanges:
    """The changes of the last new orbit, and why (kept until the next new orbit)."""

    changes: tuple[PassChange, ...]
    reason: str

    def mark(self, p: Pass, zone: tzinfo | None) -> str:
        """The planner row's mark for pass `p`: "was 19:25", "new", or ""."""
        for change in self.changes:
            if change.after is None or abs(change.after.culminate - p.culminate) > SAME_PASS:
                continue
            if change.kind == "appeared":
                return "new"
            assert change.before is not None
            return f"was {_clock(change.before.rise, change.after.rise, zone)[0]}"
        return ""

    def gone(self, now: datetime, zone: tzinfo | None) -> str | None:
        """The vanished passes still to come, in words, or None."""
        gone = [c.before for c in self.changes if c.before is not None and c.kind == "vanished"]
        times = [_day_time(p.rise, zone) for p in gone if p.set > now]
        if not times:
            return None
        return f"No longer visible: {', '.join(times)} ({self.reason})"

    def notice(self, zone: tzinfo | None) -> str | None:
        """The one notice: the first change, how many more, why. None without changes."""
        if not self.changes:
            return None
        first = self.changes[0]
        if first.kind == "moved":
            assert first.before is not None and first.after is not None
            was, now = _clock(first.before.rise, first.after.rise, zone)
            day = f"{_local(first.before.rise, zone):%a}"
            # "Tue 19:25 pass now 19:27" (the day once: a day that changed is in both).
            words = f"{was} pass now {now}" if was[:3] == day else f"{day} {was} pass now {now}"
        elif first.kind == "appeared":
            words = f"{_day_time(first.time, zone)} pass is new"
        else:
            words = f"{_day_time(first.time, zone)} pass is gone"
        more = len(self.changes) - 1
        if more:
            words += f" (and {more} more {'change' if more == 1 else 'changes'})"
        return f"{words}, {self.reason}"


def _local(t: datetime, zone: tzinfo | None) -> datetime:
    # No zone is UTC, as the planner says it (astimezone(None) would be this computer's).
    return t.astimezone(zone) if zone is not None else t


def _day_time(t: datetime, zone: tzinfo | None) -> str:
    return f"{_local(t, zone):%a %H:%M}"


def _clock(was: datetime, now: datetime, zone: tzinfo | None) -> tuple[str, str]:
    """Two times as the reader tells them apart: minutes, or seconds when the minute is the
    same; with the day when the day changed."""
    a, b = _local(was, zone), _local(now, zone)
    form = "%H:%M" if f"{a:%H:%M}" != f"{b:%H:%M}" else "%H:%M:%S"
    if a.date() != b.date():
        form = "%a " + form
    return a.strftime(form), b.strftime(form)
