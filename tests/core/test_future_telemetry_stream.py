"""Issue 24 case 2 end to end: ISSLIVE telemetry from the future through a Lightstreamer
server on 127.0.0.1 (tests/support/lsserver.py), the stream, the station feed and the state,
to what `status` reports and its exit status."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from issdash.commands.cli import main
from issdash.core.station_feed import StationFeed
from issdash.feeds.clock import FrozenClock
from issdash.feeds.health import FeedHealth
from issdash.feeds.isslive import mmhg_to_kpa, utc_to_timestamp
from issdash.feeds.recording import Entry
from issdash.feeds.telemetry_stream import LightstreamerTelemetry, StreamSettings, TelemetryReplay
from issdash.model.state import MissionState, StateStore
from issdash.model.status import build_status
from tests.support.lsserver import LSServer, serving_in_a_thread, telemetry_only

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
FORTY_H = timedelta(hours=40)


def ts(at: datetime) -> str:
    return f"{utc_to_timestamp(at):.8f}"


async def until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_one_future_aos_then_real_los_updates_through_the_stream() -> None:
    clock = FrozenClock(T0)
    store = StateStore(MissionState().with_feeds({"telemetry": FeedHealth("telemetry", True, 1)}))
    async with LSServer() as server:
        settings = StreamSettings(server=server.url, retry_delay_ms=300, max_batches_per_s=50)
        feed = StationFeed(lambda _: LightstreamerTelemetry(settings, clock), clock, store.publish)
        task = asyncio.create_task(feed.run())
        try:
            await server.subscribed.wait()
            bogus = ts(T0 + FORTY_H)
            await server.push(
                "TIME_000001", {"Value": "x", "TimeStamp": bogus, "Status.Class": "24"}
            )
            await server.push("USLAB000058", {"Value": "760", "TimeStamp": bogus})
            await until(lambda: feed.model.future_dated == 2)
            # Then the real updates, every 10 s of (fake) time: LOS, the pressure falling.
            for n in range(1, 7):
                clock.advance(10)
                real = ts(clock.now())
                await server.push("TIME_000001", {"TimeStamp": real, "Status.Class": "0"})
                await server.push("USLAB000058", {"Value": f"{743 - n}", "TimeStamp": real})
                await until(lambda n=n: feed.model.value("USLAB000058") == 743 - n)  # type: ignore[misc]
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    now = clock.now()
    status = build_status(store.state, now, 10.0)
    station = status["station"]
    assert station["signal"] == "LOS"
    since = datetime.fromisoformat(station["signal_since"].replace("Z", "+00:00"))
    assert T0 < since <= now  # the first real LOS, never the bogus future time
    assert station["cabin_pressure_kpa"] == pytest.approx(mmhg_to_kpa(737), abs=1e-3)
    assert station["items"]["USLAB000058"]["stale"] is True
    assert station["future_dated"]["count"] == 2
    assert any("dated in the future" in n for n in status["notices"])
    # The feed's health says it too: not ok while it is said.
    assert status["feeds"]["telemetry"]["state"] == "stale"
    assert "dated in the future" in status["feeds"]["telemetry"]["data_from_future"]
    assert status["degraded"] is True


@pytest.mark.parametrize("ahead", [FORTY_H, timedelta(0)], ids=["40 h ahead", "now"])
def test_status_exits_3_and_never_claims_aos_on_a_future_snapshot(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ahead: timedelta
) -> None:
    """`status` takes the server's snapshot: a TIME_000001 of class 24 dated 40 h after `--at`
    is said, not AOS, and the exit status is 3 (degraded) for it alone; dated at `--at`, the
    same snapshot is AOS and exit 0."""
    at = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)  # the bundled elements are 17 h old here
    bogus = ts(at + ahead)
    snapshot = [
        ("TIME_000001", {"TimeStamp": bogus, "Status.Class": "24"}),
        ("USLAB000058", {"Value": "760", "TimeStamp": bogus}),
    ]
    with serving_in_a_thread(snapshot) as url:
        telemetry_only(monkeypatch, url)
        code = main(["status", "--json", "--at", "2025-04-08T05:47:15Z", "--timeout", "8"])
    report = json.loads(capsys.readouterr().out)
    future = [n for n in report["notices"] if "dated in the future" in n]
    if not ahead:
        assert report["station"]["signal"] == "AOS"
        assert report["station"]["cabin_pressure_kpa"] == pytest.approx(mmhg_to_kpa(760))
        assert not future and report["degraded"] is False and code == 0
        assert report["feeds"]["telemetry"] == {"state": "ok", "age_s": 0.0, "error": None}
        return
    assert report["station"]["signal"] != "AOS"
    assert report["station"]["cabin_pressure_kpa"] is None  # the bogus value is not shown
    assert len(future) == 1 and "40.0 h after it arrived" in future[0]
    assert report["feeds"]["telemetry"]["state"] == "stale"
    assert f"telemetry: {report['feeds']['telemetry']['data_from_future']}" == future[0]
    assert report["degraded"] is True
    assert code == 3


def test_a_replayed_recording_with_a_future_update_reads_as_live_did() -> None:
    """Replayed, the same rule holds against the replay's own clock: the bogus update is set
    aside when the replay reaches it, the real ones after it win, and nothing recorded after
    the replay's now is delivered."""
    bogus = ts(T0 + FORTY_H)
    entries = [
        Entry(
            "telemetry",
            "",
            T0,
            None,
            item="TIME_000001",
            fields={"TimeStamp": bogus, "Status.Class": "24"},
        )
    ]
    for n in range(1, 7):
        when = T0 + timedelta(seconds=10 * n)
        entries.append(
            Entry(
                "telemetry",
                "",
                when,
                None,
                item="TIME_000001",
                fields={"TimeStamp": ts(when), "Status.Class": "0" if n < 6 else "24"},
            )
        )
    clock = FrozenClock(T0 + timedelta(seconds=35))
    store = StateStore(MissionState().with_feeds({"telemetry": FeedHealth("telemetry", True, 1)}))
    feed = StationFeed(
        lambda f: TelemetryReplay(entries, clock, on_reset=f.reset), clock, store.publish
    )
    replay = feed.source
    assert isinstance(replay, TelemetryReplay)
    feed.on_updates(replay.due(clock.now()))
    model = store.state.station
    assert model is not None and model.future_dated == 1
    assert model.signal(clock.now()) == ("LOS", T0 + timedelta(seconds=10))
    assert store.state.feeds["telemetry"].state(clock.now()) == "stale"
    # The class-24 update recorded at +60 s is not delivered before the replay reaches it.
    assert model.signal(T0 + timedelta(seconds=60))[0] == "LOS"
    clock.set(T0 + timedelta(seconds=61))
    feed.on_updates(replay.due(clock.now()))
    assert store.state.station is not None
    assert store.state.station.signal(clock.now()) == ("AOS", T0 + timedelta(seconds=60))
