"""One Redis bus member (issdash.feeds.bus_redis.RedisMember) against a real redis-server on
127.0.0.1, with its dashboard side (start/stop polling) counted: what arrives on the bus is
data, Redis that refuses is named, a lease nobody renews is taken over, a new leader
republishes, and a member that ends stops its pollers. Short leases (0.6 s) keep it quick."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.bus import encode
from issdash.feeds.bus_redis import CHANNEL, LEASE_KEY, RedisMember, latest_key
from issdash.feeds.bus_redis_keys import KeyRead, read_latest
from issdash.feeds.bus_wire import MAX_LINE_BYTES
from issdash.feeds.clock import SystemClock
from issdash.feeds.recording import Entry, EntrySink
from scripts.browser_check import free_port
from tests.support.redisproc import RedisProcess, redis_process

__all__ = ["redis_process"]  # the fixture, used by name

# A real redis-server per test: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow

FEEDS = ("crew", "tle", "position", "telemetry")
LEASE_S = 0.6


@dataclass
class Dashboard:
    """What a member asks of its dashboard, and what it tells it."""

    entries: list[Entry] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    leads: int = 0
    follows: int = 0
    sink: EntrySink | None = None

    @property
    def polling(self) -> bool:
        return self.leads > self.follows

    def member(self, port: int) -> RedisMember:
        async def on_entry(entry: Entry) -> None:
            self.entries.append(entry)

        def lead(sink: EntrySink) -> None:
            assert not self.polling, "one poller per feed: started twice"
            self.leads += 1
            self.sink = sink

        def follow() -> None:
            self.follows += 1

        return RedisMember(
            f"redis://127.0.0.1:{port}/0",
            FEEDS,
            streamed=("telemetry",),
            lease_s=LEASE_S,
            on_entry=on_entry,
            on_link=self.links.append,
            lead=lead,
            follow=follow,
            on_skip=self.skipped.append,
            on_note=self.notes.append,
            clock=SystemClock(),
            retry_min_s=0.05,
        )


@contextlib.asynccontextmanager
async def running(member: RedisMember) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(member.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def client_of(port: int) -> AsyncIterator[Any]:
    client: Any = redis.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        yield client
    finally:
        await client.aclose()


async def until(predicate: Callable[[], bool], timeout_s: float = 20) -> bool:
    """The deadline is for a loaded machine; the wait ends as soon as it holds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


def answer(feed: str, body: str = "{}", ahead_s: float = 0.0) -> Entry:
    now = SystemClock().now() + timedelta(seconds=ahead_s)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the wire keeps ms
    return Entry(feed, f"https://example.org/{feed}", now, 200, "application/json", body)


async def test_any_message_on_the_channel_is_data(redis_process: RedisProcess) -> None:
    """Issue 24 case 3: `PUBLISH issdash:answers '{"from":"x","entry":5}'` ended every
    member's bus task."""
    seen = Dashboard()
    member = seen.member(redis_process.port)
    good = answer("crew", '{"ok": 1}')
    hostile = [
        '{"from":"x","entry":5}',
        '{"from":"x"}',
        "[1, 2]",
        "5",
        b"\xff\xfe",
        "[" * 50_000,
        json.dumps({"from": "x", "entry": '{"feed": ["crew"]}'}),
        json.dumps({"from": "x", "entry": encode(answer("crew", ahead_s=3600)).decode()}),
    ]
    async with running(member) as task, client_of(redis_process.port) as client:
        assert await until(lambda: None in seen.links)
        for message in hostile:
            await client.publish(CHANNEL, message)
        await client.publish(CHANNEL, json.dumps({"from": "x", "entry": encode(good).decode()}))
        assert await until(lambda: seen.entries == [good])
        assert not task.done()
        assert member.skips.total == len(hostile) == len(seen.skipped)
        assert "crew dated 3600 s in the future" in seen.skipped
        assert seen.links[-1] is None  # the link never went down


async def test_huge_and_wrong_typed_values_are_skipped_said_and_never_read(
    redis_process: RedisProcess,
) -> None:
    """Issue 24 case 5: a well-formed 124 MB `issdash:latest:astros` made a joining dashboard
    peak at 461 MB. Scaled down: a value over the cap (MAX_LINE_BYTES) costs the joiner
    nothing like its size, and values of the wrong type are skipped."""
    seen = Dashboard()
    member = seen.member(redis_process.port)
    tle = answer("tle", "ok")
    async with client_of(redis_process.port) as client:
        big = b'{"feed": "crew", "body": "' + b"x" * (MAX_LINE_BYTES + 1_000_000) + b'"}'
        await client.set(latest_key("crew"), big)
        await client.rpush(latest_key("position"), "a", "b")
        await client.set(latest_key("telemetry"), "not a hash")
        await client.set(latest_key("tle"), encode(tle))
        del big
    tracemalloc.start()
    try:
        async with running(member):
            assert await until(lambda: tle in seen.entries)
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Memory held does not grow with the value: far below the megabytes never read.
    assert peak < 3_000_000
    assert seen.entries == [tle]
    held_mb = (MAX_LINE_BYTES + 1_000_000 + 28) / 1e6
    assert any(
        f"issdash:latest:crew holds {held_mb:.1f} MB, over the cap" in s for s in seen.skipped
    )
    assert any("issdash:latest:position has the wrong type (list)" in s for s in seen.skipped)
    assert any("issdash:latest:telemetry has the wrong type (string)" in s for s in seen.skipped)


@settings(max_examples=30)
@given(
    kind=st.sampled_from(["string", "list", "hash", "set", "zset", "stream"]),
    size=st.sampled_from([0, 1, 100, MAX_LINE_BYTES - 10, MAX_LINE_BYTES + 1]),
    streamed=st.booleans(),
)
def test_any_redis_value_type_and_size_is_read_within_bounds(
    redis_server: RedisProcess, kind: str, size: int, streamed: bool
) -> None:
    """Whatever a latest key holds: lines within the cap, or a reason; never an exception."""

    async def check() -> KeyRead:
        async with client_of(redis_server.port) as client:
            key = latest_key("crew")
            await client.delete(key)
            value = b"x" * size
            if kind == "string":
                await client.set(key, value)
            elif kind == "list":
                await client.rpush(key, value)
            elif kind == "hash":
                await client.hset(key, "item", value)
            elif kind == "set":
                await client.sadd(key, value)
            elif kind == "zset":
                await client.zadd(key, {value: 1})
            else:
                await client.xadd(key, {"f": value})
            return await read_latest(client, key, streamed=streamed)

    read = asyncio.run(check())
    assert all(len(line) <= MAX_LINE_BYTES for line in read.lines)
    fits = (kind == "string" and not streamed) or (kind == "hash" and streamed)
    if not fits:
        assert read.lines == [] and read.problem is not None and "wrong type" in read.problem
    elif size > MAX_LINE_BYTES:
        assert read.lines == [] and read.problem is not None
    else:
        assert read.problem is None and [len(line) for line in read.lines] == [size]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """One server for all of a property's examples."""
    server = RedisProcess(free_port(), Path(tmp_path_factory.mktemp("redis")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_a_redis_that_answers_ping_but_refuses_is_named_and_backs_off_without_restarts(
    tmp_path: Path,
) -> None:
    """Issue 24 case 4: Redis that answers PING but refuses the rest was "unreachable", the
    PING reset the back-off, and every cycle restarted all pollers."""
    refusing = RedisProcess(free_port(), tmp_path)
    # Every command but those of its channel: PING, reads and the lease work, the rest not.
    refusing.start("--user", "default", "on", "nopass", "~*", "&*", "+@all", "-@pubsub")
    seen = Dashboard()
    member = seen.member(refusing.port)
    try:
        async with running(member):
            assert await until(lambda: member.failed_cycles >= 4)
        assert seen.links[0] == (
            f"Redis at 127.0.0.1:{refusing.port} refused access: polling upstream directly"
        )
        assert not any(link and "unreachable" in link for link in seen.links)
        # The back-off grew with every cycle although each PING worked.
        assert member.wait_s >= 0.05 * 2**3  # 4 cycles: 0.05, 0.1, 0.2, then 0.4 s
        # Its pollers started once and ran through every cycle (stopped only with the member).
        assert (seen.leads, seen.follows) == (1, 1)
    finally:
        refusing.stop()


async def test_on_a_read_only_replica_one_member_polls_for_all_and_a_joiner_has_it_all(
    tmp_path: Path,
) -> None:
    """Issue 24 case 4: on a read-only replica every dashboard polled for itself (and
    restarted its pollers every cycle). Its channel still works: one member is chosen there."""
    replica = RedisProcess(free_port(), tmp_path)
    # A replica of a master that is not there: it answers PING, reads and PUBLISH, no writes.
    replica.start("--replicaof", "127.0.0.1", str(free_port()))
    dashboards = [Dashboard() for _ in range(3)]
    members = [d.member(replica.port) for d in dashboards]
    crew = answer("crew", '{"c": 1}')
    try:
        async with running(members[0]), running(members[1]), running(members[2]):
            assert await until(lambda: sum(d.polling for d in dashboards) == 1)
            await asyncio.sleep(LEASE_S)
            assert [d.leads for d in dashboards].count(1) == 1  # never more than one, no restart
            assert sum(d.polling for d in dashboards) == 1
            leader = next(d for d in dashboards if d.polling)
            assert leader.sink is not None
            leader.sink.write(crew)
            others = [d for d in dashboards if d is not leader]
            assert await until(lambda: all(d.entries == [crew] for d in others))
            for d in dashboards:
                assert d.links[0] == (
                    f"Redis at 127.0.0.1:{replica.port} is a read-only replica: "
                    "answers shared on its channel only"
                )
            # A kiosk joining now has the whole state at once (Redis keeps none of it).
            late = Dashboard()
            async with running(late.member(replica.port)):
                assert await until(lambda: late.entries == [crew])
                assert await until(lambda: sum(d.polling for d in [*dashboards, late]) == 1)
    finally:
        replica.stop()


@pytest.mark.parametrize(
    ("plant", "said"),
    [
        ("rpush", "Redis lease issdash:lease of the wrong type (list) held with no expiry"),
        ("set", "Redis lease issdash:lease held with no expiry"),
        ("set-px", "Redis lease issdash:lease held, not renewed for"),
    ],
)
async def test_a_lease_nobody_renews_is_taken_over_and_said(
    redis_process: RedisProcess, plant: str, said: str
) -> None:
    """Issue 24 case 6: a lease key set with no expiry by anything else stopped all polling
    for good, with no word about the bus."""
    seen = Dashboard()
    member = seen.member(redis_process.port)
    async with client_of(redis_process.port) as client:
        if plant == "rpush":
            await client.rpush(LEASE_KEY, "someone")
        elif plant == "set":
            await client.set(LEASE_KEY, "someone")
        else:
            await client.set(LEASE_KEY, "someone", px=3_600_000)  # an hour, never renewed
        async with running(member):
            assert await until(lambda: member.leading)
            assert seen.polling
            assert len(seen.notes) == 1 and seen.notes[0].startswith(said)
            assert await client.get(LEASE_KEY) == member.member.encode()
            assert 0 < await client.pttl(LEASE_KEY) <= LEASE_S * 1000


async def test_a_renewed_lease_is_never_taken_and_one_member_polls(
    redis_process: RedisProcess,
) -> None:
    first, second = Dashboard(), Dashboard()
    a, b = first.member(redis_process.port), second.member(redis_process.port)
    async with running(a):
        assert await until(lambda: a.leading)
        async with running(b):
            assert await until(lambda: None in second.links)
            # Many lease lengths of both watching: the live holder keeps it.
            await asyncio.sleep(2.5 * LEASE_S)
            assert a.leading and not b.leading
            assert (first.polling, second.polling) == (True, False)
            assert second.notes == []


async def test_after_redis_restarts_empty_the_new_leader_republishes_all_it_holds(
    redis_process: RedisProcess,
) -> None:
    """Issue 24 case 6: a kiosk joining after Redis restarted empty had no crew, launches,
    docked list or elements until their next polls (30 min to 2 h)."""
    first, second = Dashboard(), Dashboard()
    a, b = first.member(redis_process.port), second.member(redis_process.port)
    held = [answer("crew", '{"c": 1}'), answer("tle", "elements")]
    async with running(b):
        async with running(a):
            assert await until(lambda: a.leading or b.leading)
            leader, follower = (first, second) if a.leading else (second, first)
            assert leader.sink is not None
            for entry in held:
                leader.sink.write(entry)  # what its pollers got
            assert await until(lambda: follower.entries == held)
        # One of them ended (the other may be it): whatever it started stopped with it.
        assert first.leads == first.follows
        redis_process.stop()
        redis_process.start()  # empty
        assert await until(lambda: b.leading)
        async with client_of(redis_process.port) as client:
            assert await until_async(lambda: client.get(latest_key("crew")))
            for entry in held:
                assert await client.get(latest_key(entry.feed)) == encode(entry)


async def until_async(read: Callable[[], Any], timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await read():
            return True
        await asyncio.sleep(0.02)
    return bool(await read())


async def test_a_cancel_the_redis_client_swallows_still_ends_the_member(
    redis_process: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Python 3.11 a cancel that lands as the client's own read timeout fires came back as
    "no message": the member ticked on for ever and `await` on it never returned (the suite
    hung at 99 %). Made certain here: every read swallows the cancel, as the race did."""
    real_get_message = redis.client.PubSub.get_message

    async def swallowing_get_message(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await real_get_message(self, *args, **kwargs)
        except asyncio.CancelledError:
            return None  # what the race gave: no message, and no cancel

    monkeypatch.setattr(redis.client.PubSub, "get_message", swallowing_get_message)
    seen = Dashboard()
    task = asyncio.create_task(seen.member(redis_process.port).run())
    assert await until(lambda: seen.leads == 1)  # it leads: it is in its lease loop
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=10)
    assert done == {task} and task.cancelled()
    assert not seen.polling  # and what it started stopped with it
