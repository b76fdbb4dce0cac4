"""The one clock. Nothing else reads the wall clock, so tests can freeze time and the demo can
run it faster than real time.

Two notions of time are kept apart on purpose: `now()` is the *mission* time shown on screen and
used for orbit propagation (it may be frozen, replayed or accelerated), while waiting uses
`sleep()`, which is built on the event loop's monotonic clock so a wall-clock jump can never
wedge a poller.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of mission time, and of waiting measured in mission seconds."""

    def now(self) -> datetime:
        """Current mission time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait for `seconds` of mission time."""
        ...

    @property
    def speed(self) -> float:
        """Mission seconds per real second (0 when paused or frozen)."""
        ...


class SystemClock:
    """Real time: the wall clock for `now`, the monotonic event-loop clock for waiting."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FrozenClock:
    """Mission time stands still (tests, `status --at`); waiting is real, so pollers run
    their normal schedule while the screen stays reproducible."""

    speed = 0.0

    def __init__(self, at: datetime) -> None:
        self._now = ensure_utc(at)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, at: datetime) -> None:
        self._now = ensure_utc(at)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SteppingClock(FrozenClock):
    """Sleeping advances mission time instead of waiting, so a poller under test runs a whole
    schedule of hours instantly and deterministically."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))
        # Yield so other tasks run, as a real sleep would let them.
        await asyncio.sleep(0)


class ScaledClock:
    """Mission time that starts at a chosen instant and runs at `speed` x real time.

    Used by the demo. It is anchored to `time.monotonic()`, so a wall-clock change on the host
    does not move it. Pausing is speed 0.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        self._anchor_mission = ensure_utc(start)
        self._anchor_mono = time.monotonic()
        self._speed = float(speed)
        # The sleepers' wake-ups, resolved when the clock is set or its speed changes so each
        # sleep is measured again at once (see `sleep`). Driven from the loop it sleeps on.
        self._changed: set[asyncio.Future[None]] = set()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._anchor_mono) * self._speed
        return self._anchor_mission + timedelta(seconds=elapsed)

    def set_speed(self, speed: float) -> None:
        self._anchor_mission = self.now()
        self._anchor_mono = time.monotonic()
        self._speed = float(speed)
        self._wake_sleepers()

    def set(self, at: datetime) -> None:
        self._anchor_mission = ensure_utc(at)
        self._anchor_mono = time.monotonic()
        self._wake_sleepers()

    def _wake_sleepers(self) -> None:
        for woken in self._changed:
            if not woken.get_loop().is_closed():
                _resolve(woken)
        self._changed.clear()

    async def sleep(self, seconds: float) -> None:
        # Until the mission time has moved on `seconds`, measured on the clock itself: counting
        # each step at the speed found at its end undercounted a step slowed down from 60x to
        # 1x by a minute, and a replayed poller then waited minutes of real time. Never longer
        # than `seconds` from the time of each look, should the clock be set back meanwhile.
        # One real wait per look, as long as the mission time left at the present speed (none
        # while paused), cut short when the clock is set or its speed changes: it used to look
        # every second, which woke every replayed poller each second of an idle dashboard.
        # (The end is brought forward at each look: keeping it and only capping the wait, a
        # sleep across a jump back waited until the mission time was back where it had been.)
        wait = timedelta(seconds=max(0.0, seconds))
        target = self.now() + wait
        while True:
            now = self.now()
            target = min(target, now + wait)
            left_s = (target - now).total_seconds()
            if left_s <= 0:
                return
            await self._until_changed(left_s / self._speed if self._speed > 0 else None)

    async def _until_changed(self, timeout_s: float | None) -> None:
        """Wait `timeout_s` of real time (None: for ever), or until the clock changes."""
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        self._changed.add(woken)
        timer = None if timeout_s is None else loop.call_later(timeout_s, _resolve, woken)
        try:
            await woken
        finally:
            self._changed.discard(woken)
            if timer is not None:
                timer.cancel()


def _resolve(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


def ensure_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_iso_utc(text: str) -> datetime:
    """Parse an ISO 8601 time; a missing zone means UTC (as CelesTrak's EPOCH is written)."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    return ensure_utc(datetime.fromisoformat(cleaned))


def iso_z(value: datetime) -> str:
    """ISO 8601 UTC with a `Z` suffix, to the second: the project's one time format on output."""
    return ensure_utc(value).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# A clock before this is certainly wrong: this program and its bundled data are from later.
# (A Raspberry Pi without a real-time clock starts at 1970 until NTP answers.)
EARLIEST_PLAUSIBLE = datetime(2024, 1, 1, tzinfo=UTC)
# Orbital elements are never dated after the moment they are used (allowing a day for a
# feed's clock and ours to differ), and a running station gets new ones every day: a clock
# this far past the newest elements more likely jumped than the elements aged so much.
ELEMENTS_AHEAD_TOLERANCE = timedelta(days=1)
ELEMENTS_BEHIND_LIMIT = timedelta(days=2 * 365)


def clock_doubt(now: datetime, elements_epoch: datetime | None) -> str | None:
    """Why the machine's clock looks wrong at `now`, or None when it looks plausible.

    Checked every tick, so a clock that is corrected (NTP answering at last) clears it.
    """
    # Short: it is shown next to the clock itself, on one line of the top bar.
    if now < EARLIEST_PLAUSIBLE:
        return f"clock looks wrong: before {EARLIEST_PLAUSIBLE:%Y}"
    if elements_epoch is None:
        return None
    if now < elements_epoch - ELEMENTS_AHEAD_TOLERANCE:
        days = (elements_epoch - now).total_seconds() / 86400
        return (
            f"clock looks wrong: {days:.0f} days before"
            f" the orbital elements' epoch ({elements_epoch:%Y-%m-%d})"
        )
    if now > elements_epoch + ELEMENTS_BEHIND_LIMIT:
        years = (now - elements_epoch).total_seconds() / (365.25 * 86400)
        return (
            f"clock looks wrong: {years:.1f} years after"
            f" the newest orbital elements ({elements_epoch:%Y-%m-%d})"
        )
    return None
