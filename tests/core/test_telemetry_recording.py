"""Telemetry recorded then replayed: one JSON line per update, replayed in time order through
the same model, giving the same `station` object."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from issdash.core.station_feed import StationFeed
from issdash.feeds.clock import FrozenClock
from issdash.feeds.isslive import utc_to_timestamp
from issdash.feeds.poller import FeedEvent, FeedFailure, FeedUpdate
from issdash.feeds.recording import RecordingWriter, load_recording
from issdash.feeds.telemetry_stream import LightstreamerTelemetry, StreamSettings, TelemetryReplay
from tests.support.lsserver import LSServer

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def ts(at: datetime) -> str:
    return f"{utc_to_timestamp(at):.8f}"


async def until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_record_then_replay_gives_the_same_station(tmp_path: Path) -> None:
    clock = FrozenClock(T0)
    out = tmp_path / "telemetry.jsonl"
    writer = RecordingWriter(out, ["telemetry"], T0, "test")
    events: list[FeedEvent] = []
    async with LSServer() as server:
        settings = StreamSettings(server=server.url, retry_delay_ms=300)
        feed = StationFeed(
            lambda _: LightstreamerTelemetry(settings, clock), clock, events.append, writer
        )
        task = asyncio.create_task(feed.run())
        await server.subscribed.wait()
        q = ("0.852000058", "-0.195457280", "-0.185189426", "-0.448995829")
        for n, item in enumerate(("USLAB000018", "USLAB000019", "USLAB000020", "USLAB000021")):
            await server.push(item, {"Value": q[n], "TimeStamp": ts(T0), "Status.Class": "24"})
        await server.push("TIME_000001", {"Value": "x", "TimeStamp": ts(T0), "Status.Class": "24"})
        await server.push("USLAB000058", {"Value": "743.3", "TimeStamp": ts(T0)})
        await until(lambda: "USLAB000058" in feed.model.items)
        clock.advance(5)
        await server.push("USLAB000010", {"Value": "42.5", "TimeStamp": ts(clock.now())})
        await server.push("NODE3000005", {"Value": "\x1b[2Jnot a number", "TimeStamp": ts(T0)})
        await until(lambda: "USLAB000010" in feed.model.items)
        clock.advance(30)  # silence: LOS
        await server.push("TIME_000001", {"TimeStamp": ts(clock.now()), "Status.Class": "0"})
        await until(lambda: feed.model.signal(clock.now())[1] == clock.now())
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    end = clock.now()
    live = feed.model.to_json(end)
    writer.close(end)
    assert live["signal"] == "LOS" and live["attitude"]["yaw_deg"] == -52.67
    assert any(isinstance(e, FeedUpdate) for e in events)

    lines = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert lines[0].keys() == {"feed", "received_at", "item", "fields"}
    assert lines[0]["feed"] == "telemetry"
    assert lines[0]["fields"]["Value"] == "0.852000058"
    assert lines[0]["received_at"] == "2026-03-01T12:00:00Z"

    recording = load_recording(out, ["telemetry"])
    assert recording.problems == []
    replay_clock = FrozenClock(recording.start)
    replayed = StationFeed(
        lambda f: TelemetryReplay(recording.entries["telemetry"], replay_clock, 0.01, f.reset),
        replay_clock,
        lambda _: None,
    )
    task = asyncio.create_task(replayed.run())
    try:
        replay_clock.set(end)
        await until(lambda: replayed.batches > 0 and "USLAB000010" in replayed.model.items)
        await asyncio.sleep(0.05)
        assert replayed.model.to_json(end) == live
        assert replayed.model.ignored == feed.model.ignored == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_replay_is_in_time_order_and_restarts_when_time_goes_back(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    header = {"format": "issdash-recording", "version": 1, "feeds": ["telemetry"]}

    def line(at: datetime, value: str) -> str:
        fields = {"Value": value, "TimeStamp": ts(at)}
        return json.dumps(
            {
                "feed": "telemetry",
                "received_at": at.isoformat(),
                "item": "NODE3000009",
                "fields": fields,
            }
        )

    path.write_text(
        "\n".join(
            [
                json.dumps(
                    header | {"start": "2026-03-01T12:00:00Z", "end": "2026-03-01T12:10:00Z"}
                ),
                line(T0 + timedelta(minutes=2), "52"),
                line(T0, "55"),  # written late: replayed in its place
                line(T0 + timedelta(minutes=1), "53"),
                json.dumps(
                    {"feed": "telemetry", "received_at": "2026-03-01T12:00:00Z", "item": "X"}
                    | {"fields": {"Value": 5}}
                ),
            ]
        )
    )
    recording = load_recording(path, ["telemetry"])
    assert len(recording.problems) == 1 and "strings" in recording.problems[0]
    clock = FrozenClock(T0)
    feed = StationFeed(
        lambda f: TelemetryReplay(recording.entries["telemetry"], clock, 0.01, f.reset),
        clock,
        lambda _: None,
    )
    replay = feed.source
    assert isinstance(replay, TelemetryReplay)
    feed.on_updates(replay.due(T0 + timedelta(seconds=90)))
    assert feed.model.value("NODE3000009") == 53
    feed.on_updates(replay.due(T0 + timedelta(minutes=3)))
    assert feed.model.value("NODE3000009") == 52
    feed.on_updates(replay.due(T0 + timedelta(seconds=10)))  # restarted
    assert feed.model.value("NODE3000009") == 55
    assert len(feed.model.history("water_tank_pct", T0)) == 0  # not a spark series


async def test_connection_trouble_is_published_as_a_failure() -> None:
    events: list[FeedEvent] = []
    clock = FrozenClock(T0)
    async with LSServer() as server:
        server.refuse_adapter_set = True
        settings = StreamSettings(server=server.url, retry_delay_ms=300, backoff_first_s=5)
        feed = StationFeed(lambda _: LightstreamerTelemetry(settings, clock), clock, events.append)
        task = asyncio.create_task(feed.run())
        await until(lambda: any(isinstance(e, FeedFailure) for e in events))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    failure = next(e for e in events if isinstance(e, FeedFailure))
    assert failure.feed == "telemetry" and "Adapter Set" in failure.error
    assert failure.retry_in_s == 5
