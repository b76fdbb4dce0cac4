"""One poller per feed: fetch, validate, publish, sleep; never overlapping, never raising.

Failures are retried with exponential, jittered backoff (tenacity), honour Retry-After, and
never poll faster than the feed's configured interval. Every outcome is published as an event;
the state turns events into health. Nothing here knows about the screen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from issdash.feeds.cache import FeedCache
from issdash.feeds.clock import Clock, iso_z, parse_iso_utc
from issdash.feeds.sources import FeedError, RawResponse, Source

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


class RateGate:
    """Spaces requests to one upstream shared by several feeds (Launch Library 2 allows about
    15 anonymous requests an hour across all its endpoints). Times are mission time, so a
    replay at 60x keeps the same schedule relative to what it replays. With a `record`, the
    last request time survives restarts."""

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

    async def wait_turn(self) -> None:
        async with self._lock:
            last = self._last
            if self._record is not None:
                saved = self._record.last(self._host)
                if saved is not None and (last is None or saved > last):
                    last = saved
            if last is not None:
                elapsed = (self._clock.now() - last).total_seconds()
                # A saved time in the future (the clock stepped back) waits one spacing at
                # most, never longer.
                wait = min(self.min_spacing_s, self.min_spacing_s - elapsed)
                if wait > 0:
                    await self._clock.sleep(wait)
            self._last = self._clock.now()
            if self._record is not None:
                self._record.record(self._host, self._last)


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
        # Jitter so many dashboards started together do not poll in lock-step.
        self._backoff = wait_exponential_jitter(
            multiplier=spec.interval_s,
            max=max(spec.retry_max_s, spec.interval_s),
            jitter=spec.interval_s * 0.5,
        )
        self.polls = 0

    async def poll_once(self) -> T:
        """Fetch and parse once; publish and cache the value. Raises `FeedError` on failure."""
        if self._gate is not None:
            await self._gate.wait_turn()
        self.polls += 1
        try:
            raw = await self._source.fetch(self.spec.url, self.spec.timeout_s)
            value = await parse_off_loop(self.spec.parse, raw, self._clock.now())
        except FeedError:
            raise
        except Exception as exc:  # an adapter bug must become health, not a dead poller
            log.exception("unexpected error polling %s", self.spec.name)
            raise FeedError(f"internal error: {type(exc).__name__}: {exc}") from exc
        if self._cache is not None:
            self._cache.save(self.spec.name, raw)
        self._publish(FeedUpdate(self.spec.name, value, raw.received_at))
        return value

    def retry_delay_s(self, state: RetryCallState) -> float:
        """Backoff before the next attempt: exponential with jitter, bounded, Retry-After
        honoured, and never sooner than the feed's own interval."""
        delay = self._backoff(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, FeedError) and exc.retry_after_s is not None:
            # Honour the server, but a day is the longest we will believe.
            delay = max(delay, min(exc.retry_after_s, 86400.0))
        return max(delay, self.spec.interval_s)

    def _report(self, state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        reason = exc.reason if isinstance(exc, FeedError) else repr(exc)
        retry_in = state.upcoming_sleep
        log.info("%s failed (%s); retrying in %.0f s", self.spec.name, reason, retry_in)
        self._publish(FeedFailure(self.spec.name, reason, self._clock.now(), retry_in))

    async def run(self) -> None:
        """Poll forever. Cancelling the task is the only way out."""
        if self._first_wait_s > 0:
            await self._clock.sleep(self._first_wait_s)
        while True:
            retrying = AsyncRetrying(
                sleep=self._clock.sleep,
                wait=self.retry_delay_s,
                retry=retry_if_exception_type(FeedError),
                before_sleep=self._report,
                reraise=True,
            )
            async for attempt in retrying:
                with attempt:
                    await self.poll_once()
            await self._clock.sleep(self._next_wait_s())

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
