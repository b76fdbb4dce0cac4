"""Replaying a recording through the normal adapters and pollers.

Demo feeds have URLs `replay://<feed>`. The replay source answers each poll with the latest
recorded response at or before the clock's time, exactly as the live source would have then;
a recorded failure is raised as the same `FeedError`, so outages replay too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlparse

from issdash.feeds.clock import Clock
from issdash.feeds.recording import Recording
from issdash.feeds.sources import FeedError, RawResponse

SCHEME = "replay"


def replay_url(feed: str) -> str:
    return f"{SCHEME}://{feed}"


class ReplaySource:
    def __init__(self, recording: Recording, clock: Clock) -> None:
        self.recording = recording
        self._clock = clock

    def seconds_to_next(self, feed: str) -> float | None:
        """Mission seconds until the next recorded answer of `feed` is due (None: no more)."""
        entry = self.recording.next_after(feed, self._clock.now())
        return None if entry is None else (entry.received_at - self._clock.now()).total_seconds()

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        feed = urlparse(url).netloc
        entry = self.recording.latest(feed, self._clock.now())
        if entry is None:
            raise FeedError("nothing recorded yet at this time")
        if entry.error is not None:
            raise FeedError(entry.error)
        return RawResponse(
            url=entry.url,
            status=entry.status or 200,
            content_type=entry.content_type,
            body=entry.body or "",
            received_at=entry.received_at,
        )


class PacedClock:
    """The clock pollers see in a replay: at 1000x a 5 s poll interval would be 200 polls a
    second, so no poller waits less than half a second of real time between polls.

    The wait is the mission time asked for, then whatever real time is left of the half
    second. It used to be the mission time stretched to half a second at the speed of the
    moment (500 s at 1000x): slowed down to 1x after that (typically `r` at the end of a
    fast replay, then `-`), a poller slept those 500 s in real time and the position feed
    was stale for minutes.
    """

    MIN_REAL_WAIT_S = 0.5

    def __init__(self, clock: Clock, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._monotonic = monotonic

    @property
    def speed(self) -> float:
        return self._clock.speed

    def now(self) -> datetime:
        return self._clock.now()

    async def sleep(self, seconds: float) -> None:
        started = self._monotonic()
        # The replay clock's own sleep follows speed changes and jumps (it is woken by them).
        await self._clock.sleep(seconds)
        rest_s = self.MIN_REAL_WAIT_S - (self._monotonic() - started)
        if rest_s > 0:
            await asyncio.sleep(rest_s)
