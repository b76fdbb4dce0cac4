"""The telemetry feed against a Lightstreamer server on 127.0.0.1 (tests/lsserver.py), with
Lightstreamer's own client: session, snapshot, updates, loss of connection and the faults."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from issdash.feeds.clock import FrozenClock
from issdash.feeds.isslive import utc_to_timestamp
from issdash.feeds.telemetry_stream import (
    CANNOT_CONNECT,
    LightstreamerTelemetry,
    StreamSettings,
    StreamStatus,
    TelemetryUpdate,
)
from issdash.model.station import StationModel
from tests.support.lsserver import LSServer

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TS = f"{utc_to_timestamp(NOW):.6f}"


class Collector:
    def __init__(self) -> None:
        self.updates: list[TelemetryUpdate] = []
        self.batches = 0
        self.statuses: list[StreamStatus] = []

    def on_updates(self, batch: list[TelemetryUpdate]) -> None:
        self.batches += 1
        self.updates.extend(batch)

    def on_status(self, status: StreamStatus) -> None:
        self.statuses.append(status)

    def values(self, item: str) -> list[str | None]:
        return [u.fields.get("Value") for u in self.updates if u.item == item]


async def until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


def fast(server: LSServer, **overrides: object) -> StreamSettings:
    base: dict[str, object] = dict(
        server=server.url,
        retry_delay_ms=300,
        stalled_timeout_ms=500,
        reconnect_timeout_ms=500,
        backoff_first_s=0.3,
        connect_timeout_s=1.5,
    )
    base.update(overrides)
    return StreamSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[LSServer]:
    async with LSServer() as srv:
        yield srv


async def start(settings: StreamSettings) -> tuple[Collector, asyncio.Task[None]]:
    got = Collector()
    feed = LightstreamerTelemetry(settings, FrozenClock(NOW))
    task = asyncio.create_task(feed.run(got.on_updates, got.on_status))
    return got, task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_snapshot_then_updates_arrive_in_the_loop(server: LSServer) -> None:
    await server.push("USLAB000010", {"Value": "42.5", "TimeStamp": TS, "Status.Class": "24"})
    got, task = await start(fast(server))
    try:
        await until(lambda: got.values("USLAB000010") == ["42.5"])
        assert got.statuses and got.statuses[-1].connected
        await server.push("USLAB000010", {"Value": "43.25"})
        await until(lambda: "43.25" in got.values("USLAB000010"))
        last = got.updates[-1]
        # MERGE: unchanged fields are kept by the client, so every update is complete.
        assert last.fields == {"Value": "43.25", "TimeStamp": TS, "Status.Class": "24"}
        assert last.received_at == NOW
    finally:
        await stop(task)


async def test_drop_mid_stream_reconnects_with_a_new_session(server: LSServer) -> None:
    got, task = await start(fast(server))
    try:
        await until(lambda: server.sessions_created == 1 and bool(server.sessions))
        await server.subscribed.wait()
        await server.push("USLAB000040", {"Value": "-40.1", "TimeStamp": TS})
        await until(lambda: "-40.1" in got.values("USLAB000040"))
        await server.drop()
        await until(lambda: any(not s.connected for s in got.statuses))
        await until(lambda: server.sessions_created == 2 and bool(server.sessions))
        await until(lambda: got.statuses[-1].connected)
        await server.push("USLAB000040", {"Value": "-40.3"})
        await until(lambda: "-40.3" in got.values("USLAB000040"))
    finally:
        await stop(task)


async def test_refused_adapter_set_is_reported_and_retried_with_backoff(server: LSServer) -> None:
    server.refuse_adapter_set = True
    got, task = await start(fast(server))
    try:
        await until(lambda: any(s.error and "Adapter Set" in s.error for s in got.statuses))
        refused = next(s for s in got.statuses if s.error and "Adapter" in s.error)
        assert not refused.connected and refused.retry_in_s == pytest.approx(0.3)
        server.refuse_adapter_set = False
        await until(lambda: got.statuses[-1].connected)
        retries = [s.retry_in_s for s in got.statuses if s.retry_in_s]
        assert retries == sorted(retries)  # back-off never shrinks while failing
    finally:
        await stop(task)


@pytest.mark.slow
async def test_a_server_that_never_answers_is_reported(server: LSServer) -> None:
    server.silent = True
    got, task = await start(fast(server))
    try:
        await until(lambda: any(s.error == "no answer from the server" for s in got.statuses))
        assert not any(s.connected for s in got.statuses)
        assert got.updates == []
    finally:
        await stop(task)


async def test_garbage_and_hostile_strings_never_reach_the_model_raw(server: LSServer) -> None:
    got, task = await start(fast(server))
    model = StationModel()
    try:
        await server.subscribed.wait()
        await server.send_raw("GARBAGE,,,\x00\x1b[31m")
        await server.send_raw("U,1,999,x|y")
        hostile = "\x1b]0;pwned\x07\u202e12|,%"
        await server.push("USLAB000010", {"Value": hostile, "TimeStamp": TS})
        await server.push("NODE3000008", {"Value": "nan", "TimeStamp": TS})
        await server.push("NODE3000005", {"Value": "35", "TimeStamp": TS})
        await until(lambda: "35" in got.values("NODE3000005"), timeout_s=20)
        await until(lambda: got.statuses[-1].connected)
        for update in got.updates:
            model.apply_raw(update.item, update.fields, NOW)
        # The hostile value was delivered as text, then refused by validation.
        assert model.value("USLAB000010") is None
        assert model.value("NODE3000005") == 35
        assert model.value("NODE3000008") is None
        assert model.ignored >= 1
    finally:
        await stop(task)


async def test_a_flood_is_coalesced_with_the_newest_value_last(server: LSServer) -> None:
    got, task = await start(fast(server, max_batches_per_s=10.0))
    try:
        await server.subscribed.wait()
        await until(lambda: got.statuses[-1].connected if got.statuses else False)
        wall_before = time.monotonic()
        for burst in range(5):
            await server.flood("USLAB000010", 200, value_of=burst * 200)
            await asyncio.sleep(0.2)
        await until(lambda: "999" in got.values("USLAB000010"))
        wall_s = time.monotonic() - wall_before
        # 1000 updates in about a second reach us as a few batches, the newest value last.
        assert got.batches <= wall_s * 10 + 3
        assert len(got.values("USLAB000010")) < 100
        assert got.values("USLAB000010")[-1] == "999"
        # (No CPU figure here: server, client and bridge share the test process, whose CPU
        # time on a loaded machine says more about the machine than about the bridge.)
    finally:
        await stop(task)


async def test_signal_lost_and_regained_through_the_stream(server: LSServer) -> None:
    clock_now = NOW
    got, task = await start(fast(server))
    model = StationModel()
    try:
        await server.subscribed.wait()
        await server.push("USLAB000058", {"Value": "743.3", "TimeStamp": TS})
        await server.push("TIME_000001", {"Value": "x", "TimeStamp": TS, "Status.Class": "24"})
        await until(lambda: len(got.updates) >= 2)
        for u in got.updates:
            model.apply_raw(u.item, u.fields, clock_now)
        assert model.signal(clock_now)[0] == "AOS"
        got.updates.clear()
        await server.push("TIME_000001", {"Status.Class": "0"})
        await until(lambda: bool(got.updates))
        for u in got.updates:
            model.apply_raw(u.item, u.fields, clock_now)
        assert model.signal(clock_now) == ("LOS", NOW)
        station = model.to_json(clock_now)
        assert station["items"]["USLAB000058"] == {
            "value": 743.3,
            "timestamp": "2026-03-01T12:00:00Z",
            "stale": True,
        }
        got.updates.clear()
        await server.push("TIME_000001", {"Status.Class": "24"})
        await until(lambda: bool(got.updates))
        for u in got.updates:
            model.apply_raw(u.item, u.fields, clock_now)
        assert model.signal(clock_now)[0] == "AOS"
        assert model.to_json(clock_now)["items"]["USLAB000058"]["stale"] is False
    finally:
        await stop(task)


async def test_no_client_exists_while_the_server_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attempts at an unreachable server are our own TCP connects: no Lightstreamer client
    (whose retries kept the library's threads busy) is made until a server accepts one; then
    a single client opens the session."""
    import lightstreamer.client as ls

    made: list[object] = []
    real = ls.LightstreamerClient

    def counted(*args: object) -> object:
        made.append(args)
        return real(*args)

    monkeypatch.setattr(ls, "LightstreamerClient", counted)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    failed: list[str] = []
    settings = StreamSettings(server=f"http://127.0.0.1:{port}", retry_delay_ms=20)
    got = Collector()
    feed = LightstreamerTelemetry(settings, FrozenClock(NOW), on_attempt_failed=failed.append)
    task = asyncio.create_task(feed.run(got.on_updates, got.on_status))
    try:
        await until(lambda: len(failed) >= 3)
        assert made == [] and set(failed) == {CANNOT_CONNECT}
        server = LSServer()
        server.port_wanted = port  # type: ignore[attr-defined]
        async with server:
            await until(lambda: bool(got.statuses) and got.statuses[-1].connected)
        assert len(made) == 1
    finally:
        await stop(task)
