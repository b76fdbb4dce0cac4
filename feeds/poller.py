"""One poller per feed: fetch, validate, publish, sleep; never overlapping, never raising.

Failures are retried with exponential, jittered backoff (tenacity), honour Retry-After, and
never poll faster than the feed's configured interval. Every outcome is published as an event;
the state turns events into health. Nothing here knows about the screen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from feeds.cache import FeedCache
from feeds.clock import Clock
from feeds.sources import FeedError, RawResponse, Source

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


class RateGate:
    """Spaces requests to one upstream shared by several feeds (Launch Library 2 allows about
    15 anonymous requests an hour across all its endpoints). Times are mission time, so a
    replay at 60x keeps the same schedule relative to what it replays."""

    def __init__(self, min_spacing_s: float, clock: Clock) -> None:
        self.min_spacing_s = min_spacing_s
        self._clock = clock
        self._last: datetime | None = None
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._lock:
            if self._last is not None:
                wait = self.min_spacing_s - (self._clock.now() - self._last).total_seconds()
                if wait > 0:
                    await self._clock.sleep(wait)
            self._last = self._clock.now()


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
    ) -> None:
        self.spec = spec
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
            value = self.spec.parse(raw, self._clock.now())
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


async def gather_once(
    spec: FeedSpec[T], source: Source, clock: Clock, publish: Publish, cache: FeedCache | None
) -> None:
    """One attempt, for `issdash status`: publish the value or the failure, never raise."""
    poller = Poller(spec, source, clock, publish, cache)
    try:
        await poller.poll_once()
    except FeedError as exc:
        publish(FeedFailure(spec.name, exc.reason, clock.now(), None))
