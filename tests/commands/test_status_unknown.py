"""`issdash status`, run as a process: what is not known is null with a reason, never an empty
list, and the exit status says whether the report is degraded (3) or not (0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from issdash.feeds.registry import FEED_NAMES
from scripts.fixtures.ms27_payloads import (
    DOCKED_BEFORE_MS27,
    ISS_CREW_BEFORE_MS27,
    SHENZHOU_19,
    TLE_TEXT,
    astros,
    corquaid_docked,
    corquaid_people,
    ll2_dockings,
    ll2_launch,
    ll2_launches,
    wheretheiss,
)
from scripts.fixtures.orbit_feeds import oem_text, supgp_records

# Many seconds in all (a real `issdash status` process per case):
# `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow

FEEDS = FEED_NAMES
NOON = "2025-04-08T12:00:00Z"


def status(tmp_path: Path, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    """`python -m issdash status --json` with only these ISSDASH_ settings and a fresh cache."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
    # The telemetry stream would go to the internet: off unless a test points it somewhere.
    clean["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"
    clean.update(env, ISSDASH_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "issdash", "status", "--json", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def offline() -> dict[str, str]:
    """Every feed pointed where nothing listens: the network is down."""
    return {f"ISSDASH_FEEDS__{f.upper()}__URL": f"http://127.0.0.1:9/{f}" for f in FEEDS}


def from_files(tmp_path: Path, **payloads: Any) -> dict[str, str]:
    """Every feed answering from a file (a dict is JSON, a str is sent as text)."""
    env = {}
    for feed, payload in payloads.items():
        text = isinstance(payload, str)
        path = tmp_path / f"{feed}.{'txt' if text else 'json'}"
        path.write_text(payload if text else json.dumps(payload))
        env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = path.as_uri()
    return env


def ms27_feeds(tmp_path: Path, at: str = NOON, **overrides: Any) -> dict[str, str]:
    """The feeds on the MS-27 day after the hatches opened (position: a fix at `at`)."""
    fix_at = datetime.fromisoformat(at)
    payloads: dict[str, Any] = {
        "tle": TLE_TEXT,
        "position": json.loads(wheretheiss(fix_at, 10.0, 20.0)),
        "crew": corquaid_people(),
        "astros": astros(),
        "docked": corquaid_docked(),
        "launches": ll2_launches(
            ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z", "Success")
        ),
        "dockings": ll2_dockings(),
        "oem": oem_text(),
        "supgp": supgp_records(),
    }
    payloads.update(overrides)
    return from_files(tmp_path, **payloads)


def test_offline_nothing_is_reported_as_empty_and_the_exit_status_is_3(tmp_path: Path) -> None:
    code, report = status(tmp_path, "--at", NOON, "--timeout", "2", **offline())
    assert code == 3
    assert report["degraded"] is True
    # Not known is null, never "none": no empty docked list, no "nothing scheduled".
    assert report["docked"] is None
    assert report["next_event"] is None
    assert report["crew"] is None
    notices = report["notices"]
    for what in ("docked vehicles not known", "schedule not known", "crew not known"):
        assert any(n.startswith(what) and "cannot connect" in n for n in notices), notices
    assert {f["state"] for f in report["feeds"].values()} == {"down"}


def test_every_feed_answering_exits_0(tmp_path: Path) -> None:
    code, report = status(tmp_path, "--at", NOON, **ms27_feeds(tmp_path))
    assert code == 0, report["notices"]
    assert report["degraded"] is False
    assert {f["state"] for f in report["feeds"].values()} == {"ok"}
    assert "Soyuz MS-27" in [v["name"] for v in report["docked"]]
    # The crew list shows MS-27's crew aboard: the hatch opening is confirmed, and the next
    # event is MS-26 leaving on the 19th.
    assert report["crew"]["aboard"] == 10
    event = report["next_event"]
    assert (event["vehicle"], event["kind"], event["overdue"]) == (
        "Soyuz MS-26",
        "undocking",
        False,
    )


def test_known_to_be_empty_is_an_empty_list_not_null(tmp_path: Path) -> None:
    empty_schedule = {"count": 0, "next": None, "previous": None, "results": []}
    env = ms27_feeds(
        tmp_path, docked=corquaid_docked([]), launches=empty_schedule, dockings=empty_schedule
    )
    code, report = status(tmp_path, "--at", NOON, **env)
    assert code == 0
    assert report["docked"] == []
    assert report["next_event"] is None
    assert not any("not known" in n for n in report["notices"])


def test_an_estimate_past_its_time_stays_the_next_event_marked_overdue(tmp_path: Path) -> None:
    # 11:29: the hatch opening was estimated for 11:27; the crew list still shows seven aboard.
    seven = corquaid_people(ISS_CREW_BEFORE_MS27 + SHENZHOU_19)
    env = ms27_feeds(tmp_path, "2025-04-08T11:29:00Z", crew=seven)
    code, report = status(tmp_path, "--at", "2025-04-08T11:29:00Z", **env)
    event = report["next_event"]
    assert (event["kind"], event["vehicle"]) == ("hatch", "Soyuz MS-27")
    assert event["estimated"] is True and event["overdue"] is True
    assert event["time"] == "2025-04-08T11:27:00Z" and event["t_minus_s"] == -120.0
    assert (
        "hatch of Soyuz MS-27 expected 2025-04-08T11:27:00Z, not confirmed"
        " (crew not listed aboard)" in report["notices"]
    )
    # Every feed answered, but the report cannot say the hatches opened: a script is told
    # (issue 24: a docking only the schedule said was reported with exit 0).
    assert report["degraded"] is True and code == 3


def test_a_feed_switched_off_is_not_known_but_not_degraded(tmp_path: Path) -> None:
    env = ms27_feeds(tmp_path)
    env["ISSDASH_FEEDS__DOCKED__ENABLED"] = "false"
    env["ISSDASH_FEEDS__DOCKINGS__ENABLED"] = "false"
    code, report = status(tmp_path, "--at", NOON, **env)
    assert report["docked"] is None
    assert "docked vehicles not known (docked feed off)" in report["notices"]
    assert code == 0


def test_a_schedule_known_in_part_says_so(tmp_path: Path) -> None:
    before, seven = corquaid_docked(DOCKED_BEFORE_MS27), ISS_CREW_BEFORE_MS27 + SHENZHOU_19
    env = ms27_feeds(tmp_path, "2025-04-08T08:00:00Z", docked=before, crew=corquaid_people(seven))
    env["ISSDASH_FEEDS__LAUNCHES__URL"] = "http://127.0.0.1:9/launches"
    code, report = status(tmp_path, "--at", "2025-04-08T08:00:00Z", "--timeout", "2", **env)
    assert code == 3
    event = report["next_event"]
    # From the dockings schedule alone: without the launch report nothing says the rocket
    # left the pad, and the launch stays the next event.
    assert (event["kind"], event["vehicle"], event["overdue"]) == ("launch", "Soyuz MS-27", True)
    assert any(
        n.startswith("schedule known only in part (launches: cannot") for n in report["notices"]
    )


def test_cached_answers_too_old_to_describe_now_are_not_known(tmp_path: Path) -> None:
    # A first run with every feed answering fills the cache; three days later, offline, the
    # cached docked list and schedule are too old to say what is docked or coming now.
    code, _ = status(tmp_path, "--at", NOON, **ms27_feeds(tmp_path))
    assert code == 0
    later = "2025-04-11T12:00:00Z"
    code, report = status(tmp_path, "--at", later, "--timeout", "2", **offline())
    assert code == 3
    assert report["docked"] is None and report["next_event"] is None
    assert "docked vehicles not known (docked: last answer 3d 00h old)" in report["notices"]
    assert report["crew"] is None  # trusted for two days
    assert (
        "crew not known (crew: last answer 3d 00h old; astros: last answer 3d 00h old)"
        in (report["notices"])
    )
