"""`status` says an event happened only when a source says so (issue 24, case 9).

A copy of the MS-27 day whose docked list never lists Soyuz MS-27, built from the project's
own payloads (scripts/fixtures/ms27_payloads.py): the schedule says it docked at 08:57, and
nothing else does. And the real demo, where the docked list and the crew list do confirm the
docking and the hatch opening: one time for each event, the one a source states or else the
estimate, still marked as one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issdash.commands.cli import main
from issdash.config.settings import Settings
from issdash.feeds.recording import Entry, RecordingWriter
from issdash.feeds.registry import LL2
from scripts.fixtures.ms27_payloads import (
    DOCKED_BEFORE_MS27,
    ISS_CREW_BEFORE_MS27,
    SHENZHOU_19,
    TLE_TEXT,
    corquaid_docked,
    corquaid_people,
    ll2_dockings,
    ll2_launches,
    ms27_launch,
)

DAY = datetime(2025, 4, 8, tzinfo=UTC)
START, END = DAY.replace(hour=8), DAY.replace(hour=11)


def unlisted_recording(path: Path) -> Path:
    """The MS-27 morning, each feed answering every 10 min, the docked list never with MS-27
    (and the crew list not yet with its crew: the hatch is not due before 11:27)."""
    urls = Settings().feeds
    bodies: dict[str, tuple[str, Any]] = {
        "tle": (urls.tle.url, TLE_TEXT),
        "crew": (urls.crew.url, corquaid_people(ISS_CREW_BEFORE_MS27 + SHENZHOU_19)),
        "docked": (urls.docked.url, corquaid_docked(DOCKED_BEFORE_MS27)),
        "launches": (f"{LL2}/launches/upcoming/?search=ISS", ll2_launches(ms27_launch("Success"))),
        "dockings": (f"{LL2}/docking_events/?space_station_target__id=4", ll2_dockings()),
    }
    writer = RecordingWriter(path, sorted(bodies), START, "MS-27 never in the docked list")
    at = START
    while at <= END:
        for feed, (url, body) in sorted(bodies.items()):
            text = body if isinstance(body, str) else json.dumps(body)
            writer.write(Entry(feed, url, at, 200, "application/json", text))
        at += timedelta(minutes=10)
    return writer.close(END)


def status(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["status", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("at", ["2025-04-08T09:30:00Z", "2025-04-08T10:30:00Z"])
def test_a_docking_only_the_schedule_says_is_expected_not_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], at: str
) -> None:
    recording = unlisted_recording(tmp_path / "unlisted.jsonl.gz")
    code, report = status(capsys, "--demo", str(recording), "--at", at)
    assert "Soyuz MS-27" not in [v["name"] for v in report["docked"]]
    event = report["next_event"]
    assert (event["vehicle"], event["kind"], event["time"]) == (
        "Soyuz MS-27",
        "docking",
        "2025-04-08T08:57:00Z",
    )
    assert event["overdue"] and event["t_minus_s"] < 0
    assert event["awaiting"] == "not in docked list yet"
    assert (
        "docking of Soyuz MS-27 expected 2025-04-08T08:57:00Z, not confirmed"
        " (not in docked list yet)"
    ) in report["notices"]
    # The last thing a source confirmed is the orbit insertion (the launch reported a
    # success), an estimate that stays one.
    last = report["last_event"]
    assert (last["kind"], last["time"], last["estimated"]) == (
        "insertion",
        "2025-04-08T05:56:00Z",
        True,
    )
    # A script is told: the report is degraded, exit 3.
    assert report["degraded"] is True and code == 3


def test_the_text_status_says_it_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = unlisted_recording(tmp_path / "unlisted.jsonl.gz")
    code = main(["status", "--demo", str(recording), "--at", "2025-04-08T09:30:00Z"])
    out = capsys.readouterr().out
    assert code == 3
    assert "! docking of Soyuz MS-27 expected 2025-04-08T08:57:00Z, not confirmed" in out


def test_in_the_demo_the_docked_list_confirms_the_docking_with_its_own_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The demo's docked list gains MS-27 at 09:05, giving 08:57:00 as its docking time.
    code, report = status(capsys, "--demo", "--at", "2025-04-08T09:30:00Z")
    assert code == 0 and not report["degraded"], report["notices"]
    assert report["next_event"]["kind"] == "hatch" and not report["next_event"]["overdue"]
    assert report["last_event"] == {
        "kind": "docking",
        "vehicle": "Soyuz MS-27",
        "time": "2025-04-08T08:57:00Z",
        "estimated": False,
        "confirmed_by": "2025-04-08T09:05:00Z",
        "port": "Prichal nadir",
    }


def test_the_hatch_opening_has_one_time_the_estimate_with_its_confirmation_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Estimated 11:27 (docking + 2 h 30 min); corquaid lists the crew aboard at 11:30. No
    # source states when the hatches opened: the time stays the estimate, marked as one.
    code, report = status(capsys, "--demo", "--at", "2025-04-08T11:45:00Z")
    assert code == 0, report["notices"]
    last = report["last_event"]
    assert (last["kind"], last["time"], last["estimated"], last["confirmed_by"]) == (
        "hatch",
        "2025-04-08T11:27:00Z",
        True,
        "2025-04-08T11:30:00Z",
    )
