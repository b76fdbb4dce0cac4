"""Replaying a recording through the normal adapters and pollers.

Demo feeds have URLs `replay://<feed>`. The replay source answers each poll with the latest
recorded response at or before the clock's time, exactly as the live source would have then;
a recorded failure is raised as the same `FeedError`, so outages replay too.
"""

from __future__ import annotations

from urllib.parse import urlparse

from feeds.clock import Clock
from feeds.recording import Recording
from feeds.sources import FeedError, RawResponse

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
