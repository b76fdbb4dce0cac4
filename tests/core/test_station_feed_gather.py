"""`StationFeed.gather`, the telemetry part of a one-off `status`: it waits for the stream's
snapshot up to its timeout, but not a moment after the stream has failed for this round (a
refused connection, a refused adapter set); a slow server is still waited for."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

from issdash.core.station_feed import StationFeed
from issdash.feeds.clock import FrozenClock
from issdash.feeds.poller import FeedEvent, FeedFailure
from issdash.feeds.telemetry_stream import (
    CANNOT_CONNECT,
    LightstreamerTelemetry,
    OnStatus,
    OnUpdates,
    StreamSettings,
    TelemetryUpdate,
)
from tests.support.lsserver import LSServer

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# Far longer than any of these cases may wait: each must end for a reason of its own.
LONG_TIMEOUT_S = 30.0


class FailsThenAnswers:
    """A stream whose first attempt fails at once and which would deliver a batch after
    `turns` more turns of the event loop: a gather still waiting then would get it."""

    def __init__(self, feed: StationFeed, turns: int = 200) -> None:
        self._feed = feed
        self._turns = turns
        self.cancelled = False

    async def run(self, on_updates: OnUpdates, on_status: OnStatus) -> None:
        self._feed.on_attempt_failed(CANNOT_CONNECT)
        try:
            for _ in range(self._turns):
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        on_updates([TelemetryUpdate("USLAB000010", {"Value": "42.5"}, NOW)])
        await asyncio.Event().wait()


async def test_a_failed_attempt_ends_the_wait_at_once() -> None:
    events: list[FeedEvent] = []
    sources: list[FailsThenAnswers] = []

    def factory(feed: StationFeed) -> FailsThenAnswers:
        sources.append(FailsThenAnswers(feed))
        return sources[0]

    feed = StationFeed(factory, FrozenClock(NOW), events.append)
    assert await feed.gather(LONG_TIMEOUT_S) is False
    # Stopped within a few turns of the loop, long before the batch or the timeout.
    assert sources[0].cancelled
    assert feed.batches == 0
    assert events == [FeedFailure("telemetry", CANNOT_CONNECT, NOW, None)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def live_feed(url: str, events: list[FeedEvent]) -> StationFeed:
    clock = FrozenClock(NOW)
    settings = StreamSettings(server=url, connect_timeout_s=LONG_TIMEOUT_S)
    return StationFeed(
        lambda f: LightstreamerTelemetry(settings, clock, on_attempt_failed=f.on_attempt_failed),
        clock,
        events.append,
    )


async def test_a_refused_connection_is_reported_without_waiting_for_the_timeout() -> None:
    events: list[FeedEvent] = []
    feed = live_feed(f"http://127.0.0.1:{closed_port()}", events)
    assert await feed.gather(LONG_TIMEOUT_S) is False
    # Not "no telemetry within 30 s": the stream's failure ended the wait.
    assert [(e.feed, getattr(e, "error", None)) for e in events] == [("telemetry", CANNOT_CONNECT)]


async def test_a_refused_adapter_set_is_reported_with_the_servers_words() -> None:
    events: list[FeedEvent] = []
    async with LSServer() as server:
        server.refuse_adapter_set = True
        feed = live_feed(server.url, events)
        assert await feed.gather(LONG_TIMEOUT_S) is False
    last = events[-1]
    assert isinstance(last, FeedFailure) and last.retry_in_s is None
    assert last.error.startswith("server error"), last.error


async def test_a_silent_server_is_waited_for_up_to_the_timeout() -> None:
    events: list[FeedEvent] = []
    async with LSServer() as server:
        server.silent = True
        feed = live_feed(server.url, events)
        assert await feed.gather(0.5) is False
    assert events == [FeedFailure("telemetry", "no telemetry within 0.5 s", NOW, None)]
