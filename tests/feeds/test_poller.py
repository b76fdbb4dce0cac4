"""The network path through a real HTTP server on 127.0.0.1: the poller backs off, honours
Retry-After, reports health and recovers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from issdash.feeds.adapters.position import parse_position
from issdash.feeds.clock import SteppingClock
from issdash.feeds.health import FeedHealth
from issdash.feeds.poller import FeedEvent, FeedFailure, FeedSpec, FeedUpdate, Poller
from issdash.feeds.sources import USER_AGENT, FileSource, HttpSource, SourceRouter, make_http_client
from issdash.model.state import MissionState
from scripts.fixtures.ms27_payloads import wheretheiss
from tests.support.loopback import LoopbackServer, Reply, loopback_server

START = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
GOOD = Reply(body=wheretheiss(START, 43.9, 59.2))


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    with loopback_server() as s:
        yield s


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    c = make_http_client()
    yield c
    await c.aclose()


def make_poller(
    url: str,
    client: httpx.AsyncClient,
    clock: SteppingClock,
    events: list[FeedEvent],
    *,
    interval_s: float = 5.0,
    timeout_s: float = 2.0,
    retry_max_s: float = 300.0,
    max_body_bytes: int = 100_000,
) -> Poller[Any]:
    spec = FeedSpec("position", url, parse_position, interval_s, timeout_s, retry_max_s)
    source = SourceRouter(HttpSource(client, clock, max_body_bytes), FileSource(clock))
    return Poller(spec, source, clock, events.append)


async def run_until(poller: Poller[Any], events: list[FeedEvent], done: Callable[[], bool]) -> None:
    task = asyncio.create_task(poller.run())
    try:
        for _ in range(2000):
            if done():
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"condition not reached; events: {events}")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def failures(events: list[FeedEvent]) -> list[FeedFailure]:
    return [e for e in events if isinstance(e, FeedFailure)]


async def test_good_responses_are_published_on_the_interval(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", GOOD)
    clock, events = SteppingClock(START), []
    poller = make_poller(server.url("/iss"), client, clock, events, interval_s=5.0)
    await run_until(poller, events, lambda: len(events) >= 3)
    assert all(isinstance(e, FeedUpdate) for e in events)
    assert clock.slept[:2] == [5.0, 5.0]
    # One shared client names the project to the server.
    assert server.requests[0][1]["User-Agent"] == USER_AGENT
    assert "issdash" in USER_AGENT


async def test_500_backs_off_exponentially_with_jitter_then_recovers(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    script = server.route("/iss", *([Reply(500, "oops")] * 6), GOOD)
    clock, events = SteppingClock(START), []
    poller = make_poller(
        server.url("/iss"), client, clock, events, interval_s=5.0, retry_max_s=60.0
    )
    await run_until(poller, events, lambda: any(isinstance(e, FeedUpdate) for e in events))
    fails = failures(events)
    assert len(fails) == 6
    assert all("HTTP 500" in f.error for f in fails)
    delays = [f.retry_in_s for f in fails]
    assert all(
        d is not None and 5.0 <= d <= 60.0 for d in delays
    )  # never faster than the interval, bounded
    assert delays[3] > delays[0]  # it grows
    assert script.hits >= 7  # six failures, then the success (it may poll again before we stop it)
    # What the state makes of it: stale-free recovery.
    health = FeedHealth("position", True, 5.0)
    state = MissionState().with_feeds({"position": health})
    for e in events:
        state = state.apply(e)
    assert state.feeds["position"].state(clock.now()) == "ok"
    assert state.position_fix is not None


async def test_429_retry_after_is_honoured(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", Reply(429, "slow down", headers={"Retry-After": "120"}), GOOD)
    clock, events = SteppingClock(START), []
    poller = make_poller(
        server.url("/iss"), client, clock, events, interval_s=5.0, retry_max_s=60.0
    )
    await run_until(poller, events, lambda: any(isinstance(e, FeedUpdate) for e in events))
    (fail,) = failures(events)
    assert "429" in fail.error
    assert fail.retry_in_s is not None and fail.retry_in_s >= 120.0
    assert clock.slept[0] >= 120.0


async def test_429_without_retry_after_still_backs_off(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", Reply(429, "slow down"), GOOD)
    clock, events = SteppingClock(START), []
    poller = make_poller(server.url("/iss"), client, clock, events, interval_s=5.0)
    await run_until(poller, events, lambda: any(isinstance(e, FeedUpdate) for e in events))
    (fail,) = failures(events)
    assert fail.retry_in_s is not None and fail.retry_in_s >= 5.0


async def test_timeout_when_headers_never_arrive(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", Reply(delay_s=1.5, body="{}"), GOOD)
    clock, events = SteppingClock(START), []
    poller = make_poller(server.url("/iss"), client, clock, events, timeout_s=0.3)
    await run_until(poller, events, lambda: len(events) >= 1)
    assert isinstance(events[0], FeedFailure)
    assert "timed out after 0.3 s" in events[0].error


async def test_garbage_body_is_a_failure_and_keeps_last_good(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", GOOD, Reply(body="\x00\xff garbage ]]"))
    clock, events = SteppingClock(START), []
    poller = make_poller(server.url("/iss"), client, clock, events)
    await run_until(poller, events, lambda: len(failures(events)) >= 1)
    state = MissionState().with_feeds({"position": FeedHealth("position", True, 5.0)})
    for e in events:
        state = state.apply(e)
    health = state.feeds["position"]
    assert health.state(clock.now()) == "stale"
    assert health.last_error is not None and "malformed JSON" in health.last_error
    assert state.position_fix is not None  # the last good fix is kept


async def test_body_over_the_cap_is_refused(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", Reply(body="[" + "1," * 60_000 + "1]"))
    clock, events = SteppingClock(START), []
    poller = make_poller(server.url("/iss"), client, clock, events, max_body_bytes=10_000)
    await run_until(poller, events, lambda: len(events) >= 1)
    assert isinstance(events[0], FeedFailure)
    assert "too large" in events[0].error


async def test_redirect_loop(server: LoopbackServer, client: httpx.AsyncClient) -> None:
    server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    clock, events = SteppingClock(START), []
    poller = make_poller(server.url("/loop"), client, clock, events)
    await run_until(poller, events, lambda: len(events) >= 1)
    assert isinstance(events[0], FeedFailure)
    assert "redirects" in events[0].error


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    with loopback_server() as s:
        url = s.url("/iss")
    clock, events = SteppingClock(START), []  # the server is gone: nothing listens there
    poller = make_poller(url, client, clock, events)
    await run_until(poller, events, lambda: len(events) >= 2)
    assert all(isinstance(e, FeedFailure) and "cannot connect" in e.error for e in events)
    state = MissionState().with_feeds({"position": FeedHealth("position", True, 5.0)})
    for e in events:
        state = state.apply(e)
    assert state.feeds["position"].state(clock.now()) == "down"
    assert state.feeds["position"].consecutive_failures == len(events)


async def test_adapter_bug_becomes_health_not_a_dead_poller(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    server.route("/iss", GOOD)
    clock, events = SteppingClock(START), []
    calls = {"n": 0}

    def flaky_parser(raw: Any, now: datetime) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("surprise")
        return parse_position(raw, now)

    spec = FeedSpec("position", server.url("/iss"), flaky_parser, 5.0, 2.0, 60.0)
    poller = Poller(
        spec, SourceRouter(HttpSource(client, clock), FileSource(clock)), clock, events.append
    )
    await run_until(poller, events, lambda: any(isinstance(e, FeedUpdate) for e in events))
    assert isinstance(events[0], FeedFailure)
    assert "internal error: KeyError" in events[0].error
