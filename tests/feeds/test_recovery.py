"""Recovery as fast as the network (issue 24, case 8), on a virtual clock: when the upstream
returns after an outage every feed that is down asks again within seconds, inside each
upstream's rules; only an answer counts against a host's spacing; "retry now" wakes the
feeds that are down and waits out a Retry-After."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issdash.feeds.adapters.position import parse_position
from issdash.feeds.poller import (
    FeedEvent,
    FeedSpec,
    FeedUpdate,
    GateRecord,
    Poller,
    RateGate,
    Recovery,
)
from issdash.feeds.registry import FEEDS
from issdash.feeds.sources import FeedError, HttpSource, RawResponse, make_http_client
from tests.support.loopback import Reply, loopback_server

START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LL2_FEEDS = ("launches", "dockings")


class VirtualClock:
    """Mission time that moves only when the test says; sleepers wake in order of their
    deadlines, and every task runs as far as it can before time moves on."""

    speed = 1.0

    def __init__(self, at: datetime) -> None:
        self._now = at
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        due = self._now + timedelta(seconds=max(0.0, seconds))
        heapq.heappush(self._sleepers, (due, next(self._order), future))
        await future

    async def run_for(self, seconds: float) -> None:
        end = self._now + timedelta(seconds=seconds)
        while True:
            for _ in range(40):  # let every ready task run to its next wait
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # cancelled sleeps
            if not self._sleepers or self._sleepers[0][0] > end:
                break
            due, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, due)
            future.set_result(None)
        self._now = end


class Upstream:
    """Every feed's upstream: down (connections refused), or answering; a feed can be set to
    answer with an HTTP error (optionally with Retry-After)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.up = False
        self.errors: dict[str, FeedError] = {}
        self.requests: list[tuple[str, datetime]] = []
        self.answers: list[tuple[str, datetime]] = []

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        feed = url.removeprefix("fake://")
        now = self.clock.now()
        self.requests.append((feed, now))
        if not self.up:
            raise FeedError("cannot connect: connection refused")
        self.answers.append((feed, now))
        if feed in self.errors:
            raise self.errors[feed]
        return RawResponse(url, 200, "text/plain", "ok", now)

    def asked(self, feed: str, after: datetime = START) -> list[datetime]:
        return [t for f, t in self.requests if f == feed and t >= after]


def _text(raw: RawResponse, now: datetime) -> str:
    return raw.body


class Run:
    """The seven feeds as the registry declares them (intervals, back-off caps, the shared
    Launch Library spacing, CelesTrak's two hours), polling one upstream."""

    def __init__(self, clock: VirtualClock, upstream: Upstream, record: Path | None = None):
        self.clock = clock
        self.upstream = upstream
        self.recovery = Recovery()
        self.events: list[FeedEvent] = []
        gates = {
            "ll2": RateGate(600.0, clock, "ll2", GateRecord(record)),
            "celestrak": RateGate(7200.0, clock, "celestrak", GateRecord(record)),
        }
        self.pollers: dict[str, Poller[Any]] = {}
        for feed in FEEDS:
            spec = FeedSpec(
                feed.name,
                f"fake://{feed.name}",
                _text,
                feed.interval_s,
                10.0,
                feed.retry_max_s,
                min_interval_s=feed.min_interval_s,
            )
            gate = gates["ll2"] if feed.name in LL2_FEEDS else None
            gate = gates["celestrak"] if feed.name == "tle" else gate
            self.pollers[feed.name] = Poller(
                spec, upstream, clock, self.events.append, gate=gate, recovery=self.recovery
            )
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(p.run()) for p in self.pollers.values()]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def first_ok(self, feed: str, after: datetime) -> datetime | None:
        times = [
            e.received_at
            for e in self.events
            if isinstance(e, FeedUpdate) and e.feed == feed and e.received_at >= after
        ]
        return min(times, default=None)


async def outage_then_return(outage_s: float, after_s: float = 900.0) -> tuple[Run, datetime]:
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    run = Run(clock, upstream)
    run.start()
    try:
        await clock.run_for(outage_s)
        back = clock.now()
        upstream.up = True
        await clock.run_for(after_s)
    finally:
        await run.stop()
    return run, back


def recovery_s(run: Run, back: datetime) -> dict[str, float]:
    seconds = {}
    for feed in run.pollers:
        ok = run.first_ok(feed, back)
        seconds[feed] = (ok - back).total_seconds() if ok is not None else float("inf")
    return seconds


# From a few seconds to six hours down: by then the back-offs have grown to 5 min (position)
# and hours (the rest).
@pytest.mark.parametrize("outage_s", [4.0, 600.0, 3601.0, 6 * 3600.0])
async def test_every_feed_is_back_within_seconds_of_the_upstream_after_any_outage(
    outage_s: float,
) -> None:
    run, back = await outage_then_return(outage_s)
    seconds = recovery_s(run, back)
    first_ll2 = min(seconds[f] for f in LL2_FEEDS)
    second_ll2 = max(seconds[f] for f in LL2_FEEDS)
    others = {f: s for f, s in seconds.items() if f not in LL2_FEEDS}
    # The fastest feed's probe (15 s) sees the upstream; its answer wakes the rest at once.
    assert max(others.values()) <= Recovery.PROBE_EVERY_S, seconds
    assert first_ll2 <= Recovery.PROBE_EVERY_S, seconds
    # Launch Library's spacing holds: its second feed answers one spacing (10 min) later.
    assert second_ll2 == pytest.approx(first_ll2 + 600.0, abs=1.0), seconds


async def test_an_outage_costs_one_probe_every_15_s_not_a_request_storm() -> None:
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    run = Run(clock, upstream)
    run.start()
    await clock.run_for(60.0)  # the first attempts and the first back-offs
    later = clock.now()
    await clock.run_for(3600.0)
    await run.stop()
    asked = {f: len(upstream.asked(f, later)) for f in run.pollers}
    # Position probes every 15 s at most; the others keep their long back-off: it starts at
    # their interval (plus up to half of it as jitter) and doubles, so a feed polled every 20
    # or 30 min may be asked twice in the hour (at ~25 min and ~65 min from its first failure,
    # by the draw of the jitter), the others once.
    assert asked["position"] <= 3600 / Recovery.PROBE_EVERY_S + 1
    intervals = {f.name: f.interval_s for f in FEEDS}
    allowed = {f: 2 if intervals[f] <= 1800 else 1 for f in asked if f != "position"}
    assert all(asked[f] <= n for f, n in allowed.items()), asked


# -- only an answer counts against the spacing ------------------------------------------


async def test_a_failed_attempt_does_not_move_the_spacing(tmp_path: Path) -> None:
    record = tmp_path / "request-times.json"
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    gate = RateGate(7200.0, clock, "celestrak", GateRecord(record))
    spec = FeedSpec("tle", "fake://tle", _text, 7200.0, 10.0, 4 * 3600.0)
    poller = Poller(spec, upstream, clock, lambda _: None, gate=gate)
    # Offline: the request never reached CelesTrak. Nothing is counted, here or on disk.
    with pytest.raises(FeedError):
        await poller.poll_once()
    assert gate.last_answer() is None and not record.exists()
    # The next start (another process, a minute later, online) asks at once, not in 2 h.
    clock2 = VirtualClock(START + timedelta(minutes=1))
    upstream2 = Upstream(clock2)
    upstream2.up = True
    gate2 = RateGate(7200.0, clock2, "celestrak", GateRecord(record))
    poller2 = Poller(spec, upstream2, clock2, lambda _: None, gate=gate2)
    assert await poller2.poll_once() == "ok"
    assert clock2.now() == START + timedelta(minutes=1)
    # That answer counts, across processes: a third start waits out the two hours.
    assert GateRecord(record).last("celestrak") == clock2.now()
    gate3 = RateGate(7200.0, clock2, "celestrak", GateRecord(record))
    task = asyncio.create_task(
        Poller(spec, upstream2, clock2, lambda _: None, gate=gate3).poll_once()
    )
    await clock2.run_for(7199.0)
    assert not task.done()
    await clock2.run_for(2.0)
    assert task.done() and task.result() == "ok"


async def test_an_error_answer_counts_against_the_spacing(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    upstream.up = True
    upstream.errors["tle"] = FeedError("HTTP 403 Forbidden", status=403)
    gate = RateGate(7200.0, clock, "celestrak", GateRecord(tmp_path / "times.json"))
    spec = FeedSpec("tle", "fake://tle", _text, 7200.0, 10.0, 4 * 3600.0)
    with pytest.raises(FeedError):
        await Poller(spec, upstream, clock, lambda _: None, gate=gate).poll_once()
    assert gate.last_answer() == START


async def test_a_second_feed_on_a_shared_host_waits_for_the_first_ones_outcome() -> None:
    # One request in flight per shared host: two Launch Library feeds asking together are
    # still spaced, because the first one's answer is known before the second asks.
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    upstream.up = True
    gate = RateGate(600.0, clock, "ll2")
    specs = [FeedSpec(f, f"fake://{f}", _text, 1200.0, 10.0, 3600.0) for f in LL2_FEEDS]
    tasks = [
        asyncio.create_task(Poller(s, upstream, clock, lambda _: None, gate=gate).poll_once())
        for s in specs
    ]
    await clock.run_for(700.0)
    assert all(t.done() for t in tasks)
    times = [t for _, t in upstream.requests]
    assert (times[1] - times[0]).total_seconds() == 600.0


# -- early retries keep the upstream's rules ---------------------------------------------


async def test_a_feed_refused_with_an_error_gets_one_early_retry_per_failure_streak() -> None:
    # Crew's upstream answers 404 (a broken endpoint, not the network): a flapping position
    # feed must not make it ask again at its pace.
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    upstream.up = True
    upstream.errors["crew"] = FeedError("HTTP 404 Not Found", status=404)
    run = Run(clock, upstream)
    run.start()
    await clock.run_for(30.0)
    flaps_from = clock.now()
    for _ in range(10):  # position's host drops and returns every few minutes
        upstream.errors["position"] = FeedError("HTTP 502 Bad Gateway", status=502)
        await clock.run_for(60.0)
        del upstream.errors["position"]
        await clock.run_for(60.0)
    await run.stop()
    # Without early retries crew would wait its back-off (30 min and more): none in 20 min;
    # the flaps bring one, not ten.
    assert len(upstream.asked("crew", flaps_from)) <= 1


async def test_retry_now_wakes_the_feeds_that_are_down_and_keeps_a_retry_after() -> None:
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    upstream.up = True
    upstream.errors["crew"] = FeedError("HTTP 503", status=503)
    upstream.errors["docked"] = FeedError("HTTP 429", status=429, retry_after_s=300.0)
    run = Run(clock, upstream)
    run.start()
    await clock.run_for(90.0)  # past crew's 60-s floor since its 503
    upstream.errors.clear()
    asked_at = clock.now()
    result = run.recovery.retry_now()
    assert set(result.now) == {"crew"} and set(result.held) == {"docked"}
    await clock.run_for(5.0)
    assert run.first_ok("crew", asked_at) == asked_at  # at once, not in half an hour
    assert run.first_ok("docked", asked_at) is None  # the source asked for 5 min
    await clock.run_for(300.0)
    docked_ok = run.first_ok("docked", asked_at)
    # When the 5 min from its 429 are up, not at the end of its 30-min back-off.
    assert docked_ok == START + timedelta(seconds=300)
    # Nothing is down any more: asking again does nothing.
    again = run.recovery.retry_now()
    await run.stop()
    assert again.now == () and again.held == ()


async def test_an_early_retry_keeps_the_feeds_floor_since_its_last_answer() -> None:
    # Crew's upstream answered 503 a moment ago; the network comes back for position at once:
    # crew asks again early, but not before its 60-s floor since that answer.
    clock = VirtualClock(START)
    upstream = Upstream(clock)
    upstream.up = True
    upstream.errors["crew"] = FeedError("HTTP 503", status=503)
    upstream.errors["position"] = FeedError("HTTP 502", status=502)
    run = Run(clock, upstream)
    run.start()
    await clock.run_for(1.0)
    del upstream.errors["crew"]
    del upstream.errors["position"]
    await clock.run_for(120.0)
    await run.stop()
    crew = upstream.asked("crew")
    assert len(crew) == 2 and crew[1] - crew[0] == timedelta(seconds=60), crew
    # Retry now during the floor says the feed is held back, and keeps the floor too.
    clock2 = VirtualClock(START)
    upstream2 = Upstream(clock2)
    upstream2.up = True
    upstream2.errors["crew"] = FeedError("HTTP 503", status=503)
    run2 = Run(clock2, upstream2)
    run2.start()
    await clock2.run_for(10.0)
    assert run2.recovery.retry_now().held == ("crew",)
    await clock2.run_for(60.0)
    await run2.stop()
    assert [t - START for t in upstream2.asked("crew")] == [timedelta(0), timedelta(seconds=60)]


# -- what counts as an answer, over real HTTP ---------------------------------------------


@pytest.mark.parametrize(
    ("reply", "answered"),
    [
        (None, False),  # nothing listens: connection refused
        (Reply(status=503, body="busy"), True),
        (Reply(status=429, headers={"Retry-After": "60"}), True),
        (Reply(body=b"x" * 5_000), True),  # over the cap: the server still answered
        (Reply(body="not json"), True),  # answered, then failed its checks
    ],
)
async def test_only_an_answer_from_the_server_moves_its_spacing(
    reply: Reply | None, answered: bool
) -> None:
    clock = VirtualClock(START)
    client = make_http_client()
    gate = RateGate(7200.0, clock, "127.0.0.1")
    try:
        with loopback_server() as server:
            server.route("/iss", reply or Reply())
            url = server.url("/iss")
            if reply is not None:
                await asking_fails(url, client, clock, gate)
        if reply is None:
            await asking_fails(url, client, clock, gate)  # the server is gone
    finally:
        await client.aclose()
    assert (gate.last_answer() is not None) is answered


async def asking_fails(url: str, client: Any, clock: VirtualClock, gate: RateGate) -> None:
    spec = FeedSpec("position", url, parse_position, 5.0, 5.0, 300.0)
    source = HttpSource(client, clock, max_body_bytes=1_000)
    with pytest.raises(FeedError):
        await Poller(spec, source, clock, lambda _: None, gate=gate).poll_once()
