"""One poller per feed: fetch, validate, publish, sleep; never overlapping, never raising.

Failures are retried with exponential, jittered backoff (tenacity), honour Retry-After, and
never poll faster than the feed's configured interval. Every outcome is published as an event;
the state turns events into health. Nothing here knows about the screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from issdash.feeds.cache import FeedCache
from issdash.feeds.clock import Clock, iso_z, parse_iso_utc
from issdash.feeds.sources import FeedError, RawResponse, Source

if TYPE_CHECKING:  # tenacity is imported when a poller first retries or runs (see `run`)
    from tenacity import RetryCallState
    from tenacity.wait import wait_base

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FeedUpdate(Generic[T]):
    """A feed delivered a valid value."""

    feed: str
    value: T
    received_at: datetime
    from_cache: bool = False


@dataclass(frozen=True, slots=True)
class FeedFailure:
    """A poll failed; `retry_in_s` is when the poller will try again (None: it will not)."""

    feed: str
    error: str
    at: datetime
    retry_in_s: float | None


FeedEvent = FeedUpdate[Any] | FeedFailure
Publish = Callable[[FeedEvent], None]
Parser = Callable[[RawResponse, datetime], T]


@dataclass(frozen=True, slots=True)
class FeedSpec(Generic[T]):
    """What a poller needs to know about one feed."""

    name: str
    url: str
    parse: Parser[T]
    interval_s: float
    timeout_s: float
    retry_max_s: float
    cacheable: bool = False
    # The upstream's own floor between requests it answers (the registry's
    # `min_interval_s`): an early retry (see Recovery) never comes sooner after an answer.
    min_interval_s: float = 0.0


class GateRecord:
    """When each rate-limited host was last asked, kept in the cache folder so the spacing
    holds across restarts (a crash-looping kiosk must not get its address blocked).

    Anything wrong with the file (missing, corrupt, unwritable) only means "no spacing known":
    the record is advice, never a reason to fail or to stop polling.
    """

    MAX_BYTES = 65_536

    def __init__(self, path: Path | None) -> None:
        self._path = path

    def last(self, host: str) -> datetime | None:
        try:
            when = self._read().get(host)
            return parse_iso_utc(when) if isinstance(when, str) else None
        except ValueError:
            return None

    def record(self, host: str, when: datetime) -> None:
        if self._path is None:
            return
        times = self._read()
        times[host] = iso_z(when)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".gates.", suffix=".tmp", dir=self._path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(times, handle)
                os.replace(tmp, self._path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("request times not saved to %s: %s", self._path, exc)

    def _read(self) -> dict[str, Any]:
        if self._path is None:
            return {}
        try:
            with self._path.open("rb") as handle:
                data = json.loads(handle.read(self.MAX_BYTES + 1)[: self.MAX_BYTES])
        except (OSError, ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}


class GateTurn:
    """One request's turn at a gate; `answered()` when the upstream answered it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.answered_at: datetime | None = None

    def answered(self) -> None:
        self.answered_at = self._clock.now()


class RateGate:
    """Spaces requests to one upstream shared by several feeds (Launch Library 2 allows about
    15 anonymous requests an hour across all its endpoints). Times are mission time, so a
    replay at 60x keeps the same schedule relative to what it replays. With a `record`, the
    last answer's time survives restarts.

    Only an answer counts: a request that never reached the upstream (no network, refused,
    no DNS answer) cost it nothing, so it neither moves the spacing nor is saved; an offline
    start must not keep the next start from asking for up to the whole spacing. One request
    is in flight at a time, so a second feed waits for the first one's outcome.
    """

    def __init__(
        self,
        min_spacing_s: float,
        clock: Clock,
        host: str = "",
        record: GateRecord | None = None,
    ) -> None:
        self.min_spacing_s = min_spacing_s
        self._clock = clock
        self._host = host
        self._record = record
        self._last: datetime | None = None
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[GateTurn]:
        """Wait until the last answer is a spacing old, then hold the gate for one request;
        the answer's time (if `answered()` is called) is the one the next turn waits from."""
        async with self._lock:
            last = self.last_answer()
            if last is not None:
                elapsed = (self._clock.now() - last).total_seconds()
                # A saved time in the future (the clock stepped back) waits one spacing at
                # most, never longer.
                wait = min(self.min_spacing_s, self.min_spacing_s - elapsed)
                if wait > 0:
                    await self._clock.sleep(wait)
            turn = GateTurn(self._clock)
            try:
                yield turn
            finally:
                # An answer counts however the feed fares with it (an HTTP error, a body
                # that fails its checks).
                if turn.answered_at is not None:
                    self._last = turn.answered_at
                    if self._record is not None:
                        self._record.record(self._host, turn.answered_at)

    def last_answer(self) -> datetime | None:
        """When the upstream last answered, in this run or (from the record) an earlier one."""
        last = self._last
        if self._record is not None:
            saved = self._record.last(self._host)
            if saved is not None and (last is None or saved > last):
                last = saved
        return last

    async def wait_turn(self) -> None:
        """A turn for a request counted whatever happens to it."""
        async with self.turn() as turn:
            turn.answered()


class Recovery:
    """The pollers of one run, so that the end of an outage is heard by all of them at once.

    - An answer after an outage (a feed that was down gets an answer again, or any answer
      after one that never reached its upstream) wakes every feed that is down: it retries
      within seconds instead of at the end of its back-off (up to hours for the elements).
      Each feed takes one such early retry per failure streak, so an upstream that answers
      only now and then cannot make a broken feed retry at its pace.
    - While a feed's requests do not reach its upstream, the fastest such feed retries
      every `PROBE_EVERY_S` at least (an attempt that gets no answer costs no upstream
      anything), so that the return of the network is seen within that.
    - `retry_now()` ("Retry feeds now" on the dashboard) wakes every feed that is down.

    Early retries still keep the upstream's rules: a Retry-After is waited out, so is the
    feed's floor (`FeedSpec.min_interval_s`) since its last answer, and a shared host's
    spacing of answers (RateGate) holds whoever asks.
    """

    PROBE_EVERY_S = 15.0

    def __init__(self) -> None:
        self._pollers: list[Poller[Any]] = []

    def join(self, poller: Poller[Any]) -> None:
        if poller not in self._pollers:
            self._pollers.append(poller)

    def leave(self, poller: Poller[Any]) -> None:
        if poller in self._pollers:
            self._pollers.remove(poller)

    def back(self, by: Poller[Any]) -> list[str]:
        """`by` was answered after an outage: wake every other feed that is down. Returns
        the feeds woken."""
        return [p.spec.name for p in self._pollers if p is not by and p.nudge(early=True)]

    def retry_now(self) -> RetryNow:
        """Every feed that is down retries now (or, asked by its upstream to wait, when
        that wait ends)."""
        now: list[str] = []
        held: list[str] = []
        for poller in self._pollers:
            if poller.nudge(early=False):
                (held if poller.held_s() > 0 else now).append(poller.spec.name)
        return RetryNow(tuple(now), tuple(held))

    def probe_s(self, poller: Poller[Any]) -> float | None:
        """The longest `poller` may wait before retrying, when it is the fastest of the feeds
        whose upstream is out of reach (None: its own back-off holds)."""
        unreached = [p for p in self._pollers if p.down and not p.reached]
        if poller not in unreached:
            return None
        fastest = min(unreached, key=lambda p: p.spec.interval_s)
        return self.PROBE_EVERY_S if fastest is poller else None


@dataclass(frozen=True, slots=True)
class RetryNow:
    """What "retry now" did: the feeds retrying at once, and those its upstream's rules still
    hold back a while (a Retry-After, or its floor since it last answered); feeds that are
    not down are not asked again."""

    now: tuple[str, ...]
    held: tuple[str, ...]


class Poller(Generic[T]):
    """Polls one feed for as long as `run()` is awaited."""

    def __init__(
        self,
        spec: FeedSpec[T],
        source: Source,
        clock: Clock,
        publish: Publish,
        cache: FeedCache | None = None,
        gate: RateGate | None = None,
        wake: Callable[[], float | None] | None = None,
        first_wait_s: float = 0.0,
        recovery: Recovery | None = None,
    ) -> None:
        self.spec = spec
        # How long to wait before the first poll: a restart with a cached answer younger
        # than the interval has nothing to ask the upstream yet.
        self._first_wait_s = first_wait_s
        self._gate = gate
        # A replay knows when its next recorded answer is due: poll then, not a whole
        # interval later, so the screen changes when the recording does.
        self._wake = wake
        self._source = source
        self._clock = clock
        self._publish = publish
        self._cache = cache if spec.cacheable else None
        # Built at the first retry: a one-off `status` polls once and never needs it (nor
        # tenacity's import, ~5 ms of its start).
        self._backoff_wait: wait_base | None = None
        self.polls = 0
        # The other pollers of the run, told when this one is answered after an outage, and
        # telling it to retry early (see Recovery).
        self._recovery = recovery
        # A nudge not yet acted on, and the back-off sleep it cuts short (an `asyncio.timeout`
        # scope moved to now: no task of its own, so a nudge-able poller costs nothing).
        self._nudged = False
        self._sleeping: asyncio.Timeout | None = None
        self._in_flight = False
        # The latest attempt failed (`down`), and whether its upstream answered it
        # (`reached`: an HTTP error is an answer; no connection is not).
        self.down = False
        self.reached = True
        # One early retry per failure streak for a feed its upstream answered with an error.
        self._early_used = False
        # Retry-After: no attempt before this, early or not.
        self._not_before: datetime | None = None
        # When the upstream last answered this feed (its floor counts from then).
        self._answered_at: datetime | None = None

    async def poll_once(self) -> T:
        """Fetch and parse once; publish and cache the value. Raises `FeedError` on failure."""
        if self._gate is None:
            return await self._attempt(None)
        async with self._gate.turn() as turn:
            return await self._attempt(turn)

    async def _attempt(self, turn: GateTurn | None) -> T:
        # A nudge before this attempt is answered by it.
        self._nudged = False
        self._in_flight = True
        self.polls += 1
        answered = False
        try:
            try:
                raw = await self._source.fetch(self.spec.url, self.spec.timeout_s)
            except FeedError as exc:
                answered = exc.answered
                raise
            answered = True
            value = await parse_off_loop(self.spec.parse, raw, self._clock.now())
        except FeedError as exc:
            self._failed(answered, exc.retry_after_s)
            raise
        except Exception as exc:  # an adapter bug must become health, not a dead poller
            log.exception("unexpected error polling %s", self.spec.name)
            self._failed(answered, None)
            raise FeedError(f"internal error: {type(exc).__name__}: {exc}") from exc
        finally:
            self._in_flight = False
            if answered:
                self._answered_at = self._clock.now()
                if turn is not None:
                    turn.answered()
        if self._cache is not None:
            self._cache.save(self.spec.name, raw)
        self._publish(FeedUpdate(self.spec.name, value, raw.received_at))
        self._answered(succeeded=True)
        return value

    def _failed(self, answered: bool, retry_after_s: float | None) -> None:
        self._not_before = (
            self._clock.now() + timedelta(seconds=min(retry_after_s, 86400.0))
            if retry_after_s is not None
            else None
        )
        if answered:
            self._answered(succeeded=False)
        self.down, self.reached = True, answered

    def _answered(self, *, succeeded: bool) -> None:
        """An answer: after a failure with none (or any failure, for a success), the outage
        is over for this feed, and the others that are down hear of it."""
        back = self.down and (succeeded or not self.reached)
        if succeeded:
            self.down, self.reached, self._early_used = False, True, False
        if back and self._recovery is not None:
            woken = self._recovery.back(self)
            if woken:
                log.info("%s answered again; retrying now: %s", self.spec.name, ", ".join(woken))

    def nudge(self, *, early: bool) -> bool:
        """Retry now if this feed is down (after any Retry-After); False when it is not down
        or, for an automatic `early` nudge, when it has had its early retry. An attempt in
        flight is the retry."""
        if not self.down:
            return False
        if early and self.reached:
            if self._early_used:
                return False
            self._early_used = True
        if not self._in_flight:
            self._nudged = True
            if self._sleeping is not None:
                self._sleeping.reschedule(asyncio.get_running_loop().time())
        return True

    def held_s(self) -> float:
        """Seconds before the upstream's rules allow another request: what is left of a
        Retry-After, or of its floor since it last answered."""
        now = self._clock.now()
        held = 0.0
        if self._not_before is not None:
            held = (self._not_before - now).total_seconds()
        if self._answered_at is not None:
            since_s = (now - self._answered_at).total_seconds()
            # A last answer "in the future" (the clock stepped back) holds one floor at most.
            held = max(held, min(self.spec.min_interval_s, self.spec.min_interval_s - since_s))
        return max(0.0, held)

    def retry_delay_s(self, state: RetryCallState) -> float:
        """Backoff before the next attempt: exponential with jitter, bounded, Retry-After
        honoured, and never sooner than the feed's own interval; but while its upstream is
        out of reach, the fastest such feed tries every `Recovery.PROBE_EVERY_S` (not
        sooner than its upstream's floor after its last answer)."""
        delay = self._backoff()(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, FeedError) and exc.retry_after_s is not None:
            # Honour the server, but a day is the longest we will believe.
            delay = max(delay, min(exc.retry_after_s, 86400.0))
        delay = max(delay, self.spec.interval_s)
        probe_s = self._recovery.probe_s(self) if self._recovery is not None else None
        return delay if probe_s is None else min(delay, max(probe_s, self.held_s()))

    def _backoff(self) -> wait_base:
        if self._backoff_wait is None:
            from tenacity import wait_exponential_jitter

            # Jitter so many dashboards started together do not poll in lock-step.
            self._backoff_wait = wait_exponential_jitter(
                multiplier=self.spec.interval_s,
                max=max(self.spec.retry_max_s, self.spec.interval_s),
                jitter=self.spec.interval_s * 0.5,
            )
        return self._backoff_wait

    async def _sleep_retry(self, delay_s: float) -> None:
        """The back-off, cut short by a nudge; a Retry-After is still waited out."""
        if not self._nudged:
            # Moved to now by `nudge`; never due otherwise.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None) as scope:
                    self._sleeping = scope
                    try:
                        await self._clock.sleep(delay_s)
                    finally:
                        self._sleeping = None
        if self._nudged and (held_s := self.held_s()) > 0:
            await self._clock.sleep(held_s)

    def _report(self, state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        reason = exc.reason if isinstance(exc, FeedError) else repr(exc)
        retry_in = state.upcoming_sleep
        log.info("%s failed (%s); retrying in %.0f s", self.spec.name, reason, retry_in)
        self._publish(FeedFailure(self.spec.name, reason, self._clock.now(), retry_in))

    async def run(self) -> None:
        """Poll forever. Cancelling the task is the only way out."""
        if self._recovery is not None:
            self._recovery.join(self)
        try:
            if self._first_wait_s > 0:
                await self._clock.sleep(self._first_wait_s)
            from tenacity import AsyncRetrying, retry_if_exception_type

            while True:
                retrying = AsyncRetrying(
                    sleep=self._sleep_retry,
                    wait=self.retry_delay_s,
                    retry=retry_if_exception_type(FeedError),
                    before_sleep=self._report,
                    reraise=True,
                )
                async for attempt in retrying:
                    with attempt:
                        await self.poll_once()
                await self._clock.sleep(self._next_wait_s())
        finally:
            if self._recovery is not None:
                self._recovery.leave(self)

    def _next_wait_s(self) -> float:
        due = self._wake() if self._wake is not None else None
        return self.spec.interval_s if due is None else min(self.spec.interval_s, max(due, 0.0))


# Answers bigger than this are parsed in a worker thread: parsing is bounded (caps, n log n),
# but a couple of megabytes of JSON still takes longer than a frame, and the event loop must
# never stall for feed work. Small answers (almost all of them) are parsed inline.
OFF_LOOP_BYTES = 32_768


async def parse_off_loop(parse: Parser[T], raw: RawResponse, now: datetime) -> T:
    """`parse(raw, now)`, in a worker thread when the answer is large."""
    if len(raw.body) <= OFF_LOOP_BYTES:
        return parse(raw, now)
    return await asyncio.to_thread(parse, raw, now)


async def gather_once(
    spec: FeedSpec[T], source: Source, clock: Clock, publish: Publish, cache: FeedCache | None
) -> None:
    """One attempt, for `issdash status`: publish the value or the failure, never raise."""
    poller = Poller(spec, source, clock, publish, cache)
    try:
        await poller.poll_once()
    except FeedError as exc:
        publish(FeedFailure(spec.name, exc.reason, clock.now(), None))
