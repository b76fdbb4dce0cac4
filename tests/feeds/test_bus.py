"""The embedded answer bus (issdash.feeds.bus) on a real loopback port: what a dashboard reading it
gets, and who may read it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from issdash.feeds.bus import Hub, LoopbackBusServer, LoopbackSubscriber, encode
from issdash.feeds.bus_wire import MAX_LINE_BYTES
from issdash.feeds.recording import Entry

FEEDS = ("crew", "position")
T0 = datetime(2025, 4, 8, 5, 0, 0, 123000, tzinfo=UTC)


def answer(feed: str, body: str, at: datetime = T0) -> Entry:
    return Entry(feed, f"https://example.org/{feed}", at, 200, "application/json", body)


async def read(
    address: str, count: int, timeout_s: float = 5, feeds: tuple[str, ...] = FEEDS
) -> tuple[list[Entry], list[str | None]]:
    got: list[Entry] = []
    links: list[str | None] = []
    done = asyncio.Event()

    async def on_entry(entry: Entry) -> None:
        got.append(entry)
        if len(got) >= count:
            done.set()

    subscriber = LoopbackSubscriber(address, feeds, on_entry, links.append)
    task = asyncio.create_task(subscriber.run())
    try:
        with pytest.raises(TimeoutError) if count == 0 else _nothing():
            await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    return got, links


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def test_a_late_reader_gets_the_latest_answers_with_their_own_times() -> None:
    hub = Hub()
    server = LoopbackBusServer(hub)
    await server.start()
    try:
        hub.write(answer("crew", '{"old": 1}'))
        hub.write(answer("crew", '{"new": 1}', T0.replace(minute=5)))
        hub.write(answer("position", '{"p": 1}'))
        got, links = await read(server.address, 2)
        assert {(e.feed, e.body) for e in got} == {("crew", '{"new": 1}'), ("position", '{"p": 1}')}
        crew = next(e for e in got if e.feed == "crew")
        assert crew.received_at == T0.replace(minute=5)  # the collector's time, not ours
        assert links[0] is None  # linked
    finally:
        await server.stop()


async def test_a_failure_newer_than_the_last_answer_is_passed_on() -> None:
    hub = Hub()
    server = LoopbackBusServer(hub)
    await server.start()
    try:
        hub.write(answer("crew", "{}"))
        failed = Entry(
            "crew", "https://example.org/crew", T0.replace(minute=9), 503, error="HTTP 503"
        )
        hub.write(failed)
        got, _ = await read(server.address, 2)
        assert [e.error for e in got] == [None, "HTTP 503"]
        # And new answers reach a reader already connected.
        late, _ = await asyncio.gather(
            read(server.address, 3),
            _later(lambda: hub.write(answer("position", "{}", T0.replace(minute=10)))),
        )
        assert late[0][-1].feed == "position"
    finally:
        await server.stop()


async def _later(action: object) -> None:
    await asyncio.sleep(0.5)
    assert callable(action)
    action()


async def test_a_reader_without_the_token_gets_nothing() -> None:
    hub = Hub()
    server = LoopbackBusServer(hub)
    await server.start()
    try:
        hub.write(answer("crew", '{"secret": "no"}'))
        wrong = server.address.replace(server.token, "not-the-token")
        got, links = await read(wrong, 0, timeout_s=2)
        assert got == []
        assert any(link is not None for link in links)
    finally:
        await server.stop()


async def test_a_streamed_feed_keeps_the_latest_update_of_every_item() -> None:
    hub = Hub()
    server = LoopbackBusServer(hub)
    await server.start()
    try:
        for item, value in (("A", "1"), ("B", "2"), ("A", "3")):
            hub.write(Entry("telemetry", "", T0, None, item=item, fields={"Value": value}))
        got, _ = await read(server.address, 2, feeds=("telemetry",))
        assert sorted((e.item, (e.fields or {})["Value"]) for e in got) == [("A", "3"), ("B", "2")]
    finally:
        await server.stop()


async def test_a_dashboard_on_the_bus_polls_nothing_and_shows_what_the_collector_got(
    tmp_path: Path,
) -> None:
    from issdash.config.settings import Settings
    from issdash.core.runtime import Runtime
    from issdash.feeds.clock import SystemClock
    from scripts.fixtures.faultserver import good_payload

    hub = Hub()
    server = LoopbackBusServer(hub)
    await server.start()
    now = SystemClock().now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # recordings keep ms
    content_type, body = good_payload("crew")
    hub.write(Entry("crew", "https://example.org/crew", now, 200, content_type, body))
    fields = {"Value": "743.3", "TimeStamp": "6864.0", "Status.Class": "24"}
    hub.write(Entry("telemetry", "", now, None, item="USLAB000058", fields=fields))
    # Every URL unreachable: anything this dashboard fetched itself would fail.
    feeds: dict[str, dict[str, object]] = {
        name: {"url": "http://127.0.0.1:9/"} for name in ("tle", "position", "crew")
    }
    feeds["telemetry"] = {"enabled": True, "url": "http://127.0.0.1:9/"}
    settings = Settings(feeds=feeds, bus=server.address, cache_dir=tmp_path)  # type: ignore[arg-type]
    runtime = Runtime(settings, SystemClock(), mode="live")
    runtime.load_fallbacks()
    runtime.start()
    try:
        for _ in range(50):
            state = runtime.store.state
            if state.crew is not None and state.station is not None:
                break
            await asyncio.sleep(0.1)
        state = runtime.store.state
        assert state.crew is not None
        assert state.feeds["crew"].last_success_at == now  # the collector's time
        assert state.feeds["telemetry"].last_success_at == now
        assert runtime.pollers == {}  # no poller of its own
        assert state.feeds["position"].last_error is None
    finally:
        await runtime.stop()
        await server.stop()


async def _fake_collector(lines: list[bytes]) -> tuple[asyncio.Server, str]:
    """A collector that sends `lines` as they are to whoever connects (any token)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        for line in lines:
            writer.write(line)
            await writer.drain()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()  # stays open, as a collector does
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"issdash://token@127.0.0.1:{port}"


async def test_any_line_from_the_collector_is_data_skipped_counted_and_said(
    tmp_path: Path,
) -> None:
    """Issue 24 case 3 on the loopback bus: what killed the Redis members, and every other
    shape, never ends the link; a crew list dated 40 h ahead is not taken (it would stay
    "fresh" for 40 h)."""
    from issdash.config.settings import Settings
    from issdash.core.runtime import Runtime
    from issdash.feeds.clock import SystemClock
    from scripts.fixtures.faultserver import good_payload

    now = SystemClock().now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # recordings keep ms
    content_type, body = good_payload("crew")
    good = Entry("crew", "https://example.org/crew", now, 200, content_type, body)
    future = Entry("crew", "https://example.org/crew", now + timedelta(hours=40), 200, "", body)
    hostile = [
        b'{"from":"x","entry":5}\n',
        b"5\n",
        b"\xff\xfe\n",
        b"[" * 10_000 + b"\n",
        b'{"feed": ["crew"], "received_at": "2025-04-08T05:00:00Z", "body": "x"}\n',
        encode(future),
    ]
    server, address = await _fake_collector([*hostile, encode(good)])
    feeds = {name: {"url": "http://127.0.0.1:9/"} for name in ("tle", "position", "crew")}
    settings = Settings(feeds=feeds, bus=address, cache_dir=tmp_path)  # type: ignore[arg-type]
    runtime = Runtime(settings, SystemClock(), mode="live")
    runtime.load_fallbacks()
    runtime.start()
    try:
        for _ in range(100):
            if runtime.store.state.crew is not None:
                break
            await asyncio.sleep(0.05)
        state = runtime.store.state
        assert state.crew is not None
        assert state.feeds["crew"].last_success_at == now  # the good one, not the future one
        skipped = [n for n in state.notices if n.startswith("bus skipped: ")]
        assert skipped and skipped[0].startswith(f"bus skipped: {len(hostile)} (last: crew dated")
        assert [n for n in state.notices if n.startswith("bus: ")] == []  # still linked
    finally:
        await runtime.stop()
        server.close()


async def test_a_line_over_the_cap_is_skipped_and_the_next_one_read() -> None:
    good = answer("crew", '{"after": 1}')
    server, address = await _fake_collector([b'"' + b"x" * MAX_LINE_BYTES + b'"\n', encode(good)])
    got: list[Entry] = []
    subscriber = LoopbackSubscriber(address, FEEDS, _append(got), lambda _: None)
    task = asyncio.create_task(subscriber.run())
    try:
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        assert got == [good]
        assert subscriber.skips.total >= 1
        assert subscriber.received == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        server.close()


def _append(got: list[Entry]) -> Callable[[Entry], Awaitable[None]]:
    async def on_entry(entry: Entry) -> None:
        got.append(entry)

    return on_entry


async def test_stopping_with_readers_connected_is_quiet() -> None:
    """Issue 24 case 6: serve's SIGTERM logged a CancelledError traceback per session, from
    the reader handlers the bus server cancels on stopping."""
    hub = Hub()
    server = LoopbackBusServer(hub)
    await server.start()
    errors: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: errors.append(context))
    writers = []
    try:
        for _ in range(3):
            _reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(server.token.encode() + b"\n")
            await writer.drain()
            writers.append(writer)
        for _ in range(100):
            if hub.readers == 3:
                break
            await asyncio.sleep(0.02)
        assert hub.readers == 3
        await server.stop()
        for _ in range(5):
            await asyncio.sleep(0)
        assert errors == []
    finally:
        loop.set_exception_handler(None)
        for writer in writers:
            writer.close()
