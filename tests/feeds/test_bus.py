"""The embedded answer bus (issdash.feeds.bus) on a real loopback port: what a dashboard reading it
gets, and who may read it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from issdash.feeds.bus import Hub, LoopbackBusServer, LoopbackSubscriber
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
