"""Recordings: format, damaged files, secrets, replay semantics, time control, round trip."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issdash.commands.cli import main
from issdash.commands.record import record
from issdash.config.settings import ALL_FEEDS, FEED_NAMES, load_settings
from issdash.core.runtime import load_demo_recording
from issdash.feeds.clock import FrozenClock, ScaledClock
from issdash.feeds.recording import (
    Entry,
    RecordingError,
    RecordingWriter,
    load_recording,
    scrub_url,
)
from issdash.feeds.replay import ReplaySource, replay_url
from issdash.feeds.sources import FeedError
from issdash.model.replay_control import ReplayControl
from scripts.fixtures.ms27_payloads import (
    TLE_TEXT,
    corquaid_docked,
    corquaid_people,
    ll2_dockings,
    ll2_launches,
    wheretheiss,
)
from scripts.fixtures.orbit_feeds import oem_text, supgp_json
from tests.support.loopback import Reply, loopback_server

T0 = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)


def write_lines(path: Path, lines: list[Any], raw_tail: str = "") -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + raw_tail)
    return path


def header(**extra: Any) -> dict[str, Any]:
    return {
        "format": "issdash-recording",
        "version": 1,
        "feeds": ["tle"],
        "start": "2025-04-08T08:00:00Z",
        "end": "2025-04-08T09:00:00Z",
        "description": "test",
        **extra,
    }


def entry(feed: str, at: str, body: str = "{}", **extra: Any) -> dict[str, Any]:
    return {
        "feed": feed,
        "url": "https://x.invalid/",
        "received_at": at,
        "status": 200,
        "content_type": "application/json",
        "body": body,
        **extra,
    }


# -- loading, and damaged files ------------------------------------------------------


def test_damaged_recording_loads_what_is_valid(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "r.jsonl",
        [
            header(),
            entry("tle", "2025-04-08T08:00:00Z", TLE_TEXT),
            entry("weather", "2025-04-08T08:01:00Z"),  # line 3: unknown feed
            entry("position", "2025-04-08T08:05:00Z"),
            entry("position", "2025-04-08T08:02:00Z"),  # line 5: back in time
            {"feed": "tle", "received_at": "yesterday"},  # line 6: bad time
            {
                "feed": "crew",
                "received_at": "2025-04-08T08:06:00Z",
                "status": 200,
            },  # line 7: no body
        ],
        raw_tail='this is not json\n{"feed": "tle", "received_at": "2025-04-08T08:09',  # lines 8, 9
    )
    recording = load_recording(path, FEED_NAMES)
    assert [e.received_at.minute for e in recording.entries["tle"]] == [0]
    assert [e.received_at.minute for e in recording.entries["position"]] == [5]
    problems = recording.problems
    assert len(problems) == 6
    assert problems[0].startswith("line 3: unknown feed 'weather'")
    assert problems[1].startswith("line 5: position time 2025-04-08T08:02:00Z goes back in time")
    assert problems[2].startswith("line 6: bad entry")
    assert problems[3].startswith("line 7: neither body nor error")
    assert problems[4] == "line 8: not valid JSON, skipped"
    assert problems[5] == "line 9: truncated last line, skipped"


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"])
def test_a_telemetry_update_at_a_time_no_date_can_hold_is_skipped(
    tmp_path: Path, when: str
) -> None:
    """A stream update's time in year 9999 west of UTC raised OverflowError (only ValueError
    was caught): `issdash --demo FILE` ended with exit status 1. Now the line is skipped and
    said, and the rest of the recording plays."""
    update = {"item": "NODE3000005", "fields": {"Value": "1"}}
    path = write_lines(
        tmp_path / "r.jsonl",
        [
            header(),
            entry("tle", "2025-04-08T08:00:00Z", TLE_TEXT),
            {"feed": "telemetry", "received_at": when, **update},
            {"feed": "telemetry", "received_at": "2025-04-08T08:01:00Z", **update},
        ],
    )
    recording = load_recording(path, ALL_FEEDS)
    assert [e.received_at.minute for e in recording.entries["telemetry"]] == [1]
    assert recording.problems[0].startswith("line 3: bad entry (OverflowError")


def test_not_a_recording_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="not an issdash-recording header"):
        load_recording(write_lines(tmp_path / "a.jsonl", [{"hello": 1}]), FEED_NAMES)
    with pytest.raises(RecordingError, match="format version 2"):
        load_recording(write_lines(tmp_path / "b.jsonl", [header(version=2)]), FEED_NAMES)
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(RecordingError, match="empty"):
        load_recording(tmp_path / "empty.jsonl", FEED_NAMES)
    with pytest.raises(RecordingError, match="cannot read"):
        load_recording(tmp_path / "missing.jsonl", FEED_NAMES)


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    lines = [header()] + [
        entry("position", f"2025-04-08T08:{m:02d}:00Z", "x" * 500) for m in range(50)
    ]
    data = gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    recording = load_recording(path, FEED_NAMES)
    assert any("file ends early after line" in p for p in recording.problems)
    kept = recording.entries["position"]
    assert 0 < len(kept) < 50  # what came before the cut, nothing invented
    assert [e.received_at.minute for e in kept] == list(range(len(kept)))


def test_cli_reports_skipped_lines_and_keeps_going(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(
        tmp_path / "r.jsonl",
        [header(), entry("tle", "2025-04-08T08:00:00Z", TLE_TEXT)],
        raw_tail="{oops\n",
    )
    assert main(["status", "--json", "--demo", str(path), "--at", "2025-04-08T08:30:00Z"]) == 0
    captured = capsys.readouterr()
    assert "line 3: truncated last line, skipped" in captured.err
    assert json.loads(captured.out)["position"] is not None


def test_cli_rejects_a_non_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.jsonl").write_text('{"a": 1}\n')
    assert main(["status", "--json", "--demo", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "not an issdash-recording header" in err
    assert len(err.strip().splitlines()) == 1  # one line, no usage dump, no traceback


# -- writing ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
def test_writer_produces_a_loadable_file_with_end_time(tmp_path: Path, name: str) -> None:
    writer = RecordingWriter(tmp_path / name, ["tle", "position"], T0, "a test", title="Test")
    writer.write(Entry("tle", "https://a.invalid/", T0, 200, "text/plain", TLE_TEXT))
    writer.write(
        Entry(
            "position",
            "https://b.invalid/",
            T0 + timedelta(seconds=5),
            503,
            error="HTTP 503 Service Unavailable",
        )
    )
    path = writer.close(T0 + timedelta(minutes=1))
    assert not (tmp_path / f"{name}.part").exists()
    recording = load_recording(path, FEED_NAMES)
    assert recording.problems == []
    assert (recording.start, recording.end) == (T0, T0 + timedelta(minutes=1))
    assert recording.title == "Test"
    assert recording.entries["position"][0].error == "HTTP 503 Service Unavailable"


def test_urls_lose_credentials_and_secrets() -> None:
    url = "https://user:hunter2@api.example.invalid:8443/v1/x?api_key=SECRET&token=T&CATNR=25544"
    scrubbed = scrub_url(url)
    assert scrubbed == "https://api.example.invalid:8443/v1/x?CATNR=25544"
    assert "hunter2" not in scrubbed and "SECRET" not in scrubbed


# -- replay semantics ---------------------------------------------------------------


async def test_replay_answers_with_the_latest_response_at_or_before_now(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "r.jsonl",
        [
            header(),
            entry("position", "2025-04-08T08:00:00Z", "first"),
            {
                **entry("position", "2025-04-08T08:01:00Z"),
                "body": None,
                "status": 503,
                "error": "HTTP 503 Service Unavailable",
            },
            entry("position", "2025-04-08T08:02:00Z", "third"),
        ],
    )
    clock = FrozenClock(datetime(2025, 4, 8, 7, 59, tzinfo=UTC))
    source = ReplaySource(load_recording(path, FEED_NAMES), clock)
    with pytest.raises(FeedError, match="nothing recorded yet"):
        await source.fetch(replay_url("position"), 1)
    clock.set(datetime(2025, 4, 8, 8, 0, 30, tzinfo=UTC))
    raw = await source.fetch(replay_url("position"), 1)
    assert raw.body == "first" and raw.received_at == T0  # the recorded time, not the clock's
    clock.set(datetime(2025, 4, 8, 8, 1, 0, tzinfo=UTC))
    with pytest.raises(FeedError, match="HTTP 503"):  # outages replay too
        await source.fetch(replay_url("position"), 1)
    clock.set(datetime(2025, 4, 8, 9, 0, tzinfo=UTC))
    assert (await source.fetch(replay_url("position"), 1)).body == "third"


# -- time control -------------------------------------------------------------------


def demo_recording() -> Any:
    return load_demo_recording()


def test_speed_ladder_and_pause() -> None:
    recording = demo_recording()
    clock = ScaledClock(recording.start, 1)
    control = ReplayControl(clock, recording)
    assert [control.step_speed(+1) for _ in range(5)] == [10, 60, 300, 1000, 1000]
    assert [control.step_speed(-1) for _ in range(5)] == [300, 60, 10, 1, 1]
    control.toggle_pause()
    assert control.paused and clock.speed == 0
    assert control.step_speed(+1) == 10 and clock.speed == 0  # still paused, speed remembered
    control.toggle_pause()
    assert clock.speed == 10
    assert control.tick_interval_s() == 1.0
    control.step_speed(+1)
    control.step_speed(+1)
    assert clock.speed == 300 and control.tick_interval_s() == 0.5


def test_end_of_recording_stops_or_loops() -> None:
    recording = demo_recording()
    clock = ScaledClock(recording.end - timedelta(seconds=1), 1)
    stop = ReplayControl(clock, recording, loop=False)
    assert stop.check_end(recording.end - timedelta(seconds=1)) is None
    assert stop.check_end(recording.end + timedelta(seconds=3)) == "ended"
    assert stop.ended and clock.speed == 0 and clock.now() == recording.end
    looping = ReplayControl(ScaledClock(recording.end, 60), recording, loop=True)
    assert looping.check_end(recording.end) == "loop"
    looping.restart()
    assert abs((looping.clock.now() - recording.start).total_seconds()) < 5  # type: ignore[union-attr]


def test_jump_lands_just_before_the_event() -> None:
    recording = demo_recording()
    clock = ScaledClock(recording.start, 1)
    control = ReplayControl(clock, recording)
    launch = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
    insertion = launch + timedelta(minutes=8, seconds=45)
    events = [(insertion, "orbit insertion"), (launch, "launch")]
    assert control.plan_next(events).to == launch - timedelta(seconds=20)
    # Never backwards: with nothing ahead, it goes to the end and says so.
    back = control.plan_next([(recording.start - timedelta(hours=1), "old")])
    assert back.to == recording.end and "No more events" in back.message
    control.jump(launch - timedelta(seconds=20))
    assert control.plan_next(events).to == insertion - timedelta(seconds=20)


# -- the bundled recording ----------------------------------------------------------


def test_bundled_recording_covers_the_day_and_says_what_it_is() -> None:
    recording = demo_recording()
    assert recording.problems == []
    assert recording.start <= datetime(2025, 4, 8, 5, 47, tzinfo=UTC)
    assert recording.end >= datetime(2025, 4, 8, 12, 30, tzinfo=UTC)
    assert "reconstruction" in recording.description and "reconstruction" in recording.title
    # Every feed but NASA's trajectory and CelesTrak's fitted elements (issue 25), which the
    # reconstruction predates: a replay says they were not recorded.
    assert set(recording.feeds) == set(FEED_NAMES) - {"oem", "supgp"}
    bodies = {e.body for e in recording.entries["tle"]}
    assert any("25096.03700594" in (b or "") for b in bodies) and any(
        "25097.52056586" in (b or "") for b in bodies
    )
    assert any(e.error for e in recording.entries["position"])  # an outage
    assert min(e.received_at for es in recording.entries.values() for e in es) <= datetime(
        2025, 4, 8, 5, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("at", "aboard", "by_country", "kind"),
    [
        ("2025-04-08T05:00:00Z", 7, {"RU": 3, "US": 3, "JP": 1}, "launch"),
        ("2025-04-08T08:00:00Z", 7, {"RU": 3, "US": 3, "JP": 1}, "docking"),
        ("2025-04-08T12:00:00Z", 10, {"RU": 5, "US": 4, "JP": 1}, "undocking"),
    ],
)
def test_demo_status_through_the_day(
    capsys: pytest.CaptureFixture[str], at: str, aboard: int, by_country: dict[str, int], kind: str
) -> None:
    assert main(["status", "--json", "--demo", "--at", at]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["mode"] == "demo"
    assert status["crew"]["aboard"] == aboard and status["crew"]["by_country"] == by_country
    event = status["next_event"]
    assert event["kind"] == kind
    if kind in ("launch", "docking"):
        assert event["vehicle"] == "Soyuz MS-27"
    if kind == "docking":
        assert event["port"].startswith("Prichal") and event["t_minus_s"] == 3420.0
    docked = [v["name"] for v in status["docked"]]
    assert ("Soyuz MS-27" in docked) == (at >= "2025-04-08T09")
    recorded = demo_recording().feeds
    # A feed the recording never answered is not replayed (never down, never failing).
    assert {n for n, f in status["feeds"].items() if f["state"] == "disabled"} == (
        set(FEED_NAMES) - set(recorded)
    )
    assert all(f["state"] in ("ok", "stale") for n, f in status["feeds"].items() if n in recorded)


# -- round trip: record against a loopback server, replay, same status ---------------


async def test_record_then_replay_gives_the_same_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with loopback_server() as server:
        payloads = {
            "tle": Reply(body=TLE_TEXT, content_type="text/plain"),
            "position": Reply(body=wheretheiss(T0 - timedelta(seconds=2), 27.9, -179.2)),
            "crew": Reply(body=json.dumps(corquaid_people())),
            "docked": Reply(body=json.dumps(corquaid_docked())),
            "launches": Reply(body=json.dumps(ll2_launches())),
            "dockings": Reply(body=json.dumps(ll2_dockings())),
            "oem": Reply(body=oem_text(), content_type="text/plain"),
            "supgp": Reply(body=supgp_json()),
            "astros": Reply(503, "down for maintenance"),
        }
        for feed, reply in payloads.items():
            server.route(f"/{feed}", reply)
            monkeypatch.setenv(
                f"ISSDASH_FEEDS__{feed.upper()}__URL", server.url(f"/{feed}") + "?api_key=SECRET"
            )
        settings = load_settings()
        out = tmp_path / "trip.jsonl.gz"
        stop = asyncio.Event()
        task = asyncio.create_task(
            record(settings, out, None, None, "round trip", clock=FrozenClock(T0), stop=stop)
        )
        for _ in range(200):
            if all(script.hits for script in server.routes.values()):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        stop.set()
        summary = await task
        assert summary.path == out
        assert (summary.good, summary.errors) == (8, 1)  # astros answered 503
        assert summary.lines()[0] == (
            f"recorded 9 answers (8 good, 1 errors) from {', '.join(summary.feeds)} to {out}"
        )
        assert summary.exit_status == 0
        live = await asyncio.to_thread(_status_json, ["--at", T0.isoformat()])
    text = gzip.decompress(out.read_bytes()).decode()
    assert "SECRET" not in text and "User-Agent" not in text
    replayed = await asyncio.to_thread(_status_json, ["--demo", str(out), "--at", T0.isoformat()])
    assert live["mode"] == "live" and replayed["mode"] == "demo"
    for key in ("position", "position_api", "crew", "docked", "next_event"):
        assert replayed[key] == live[key], key
    assert (
        replayed["feeds"]["astros"]["error"]
        == live["feeds"]["astros"]["error"]
        == "HTTP 503 Service Unavailable"
    )


def _status_json(args: list[str]) -> dict[str, Any]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["status", "--json", *args]) == 3  # degraded: astros answers 503
    return json.loads(buffer.getvalue())
