"""`issdash status --json`, the machine-readable interface, end to end."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issdash.commands.cli import main
from issdash.feeds.registry import FEED_NAMES
from scripts.fixtures.ms27_payloads import TLE_TEXT, wheretheiss
from tests.support.loopback import Reply, loopback_server
from tests.support.lsserver import telemetry_only
from tests.support.processes import offline_env, run_isolated

LAUNCH = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
KEYS = {
    "time",
    "mode",
    "position",
    "position_api",
    "passes",
    "crew",
    "docked",
    "next_event",
    "feeds",
}


def run_status(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict[str, Any]:
    assert main(["status", "--json", *args]) == code
    # main() pauses the garbage collector while it starts; it must be back on afterwards.
    assert gc.isenabled()
    return json.loads(capsys.readouterr().out)


def test_bundled_elements_place_the_station_near_baikonur(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No feed answers (nothing listens on port 9): the bundled set is the last resort.
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "http://127.0.0.1:9/gp")
    monkeypatch.setenv("ISSDASH_FEEDS__POSITION__URL", "http://127.0.0.1:9/iss")
    for feed in FEED_NAMES[2:]:  # every feed but the elements and the position
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed.upper()}__ENABLED", "false")
    status = run_status(capsys, "--at", "2025-04-08T05:47:15Z", "--timeout", "2", code=3)
    assert status.keys() >= KEYS
    assert status["time"] == "2025-04-08T05:47:15Z"
    assert status["mode"] == "live"
    pos = status["position"]
    assert pos["latitude_deg"] == pytest.approx(43.9, abs=0.05)
    assert pos["longitude_deg"] == pytest.approx(59.2, abs=0.05)
    assert pos["elements_epoch"] == "2025-04-07T12:29:36Z"
    assert pos["elements_age_h"] == pytest.approx(17.3, abs=0.05)
    assert pos["sunlit"] is True
    # The real count since Zarya's launch, not the TLE's 5-digit field (50431).
    assert pos["orbit_number"] == 150431
    assert status["passes"] == []  # no observer
    # Switched off, so not known: null, never an empty list.
    assert status["crew"] is None and status["docked"] is None and status["next_event"] is None
    assert status["feeds"]["tle"]["state"] == "down"
    assert "cannot connect" in status["feeds"]["tle"]["error"]
    assert status["feeds"]["crew"]["state"] == "disabled"


def test_live_feeds_over_loopback_with_residual_and_passes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with loopback_server() as server:
        server.route("/gp", Reply(body=TLE_TEXT, content_type="text/plain"))
        # The API's fix, 0.01 degree of longitude east of our propagation (~0.8 km at 44 N).
        server.route("/iss", Reply(body=wheretheiss(LAUNCH, 43.908835, 59.173286)))
        monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", server.url("/gp"))
        monkeypatch.setenv("ISSDASH_FEEDS__POSITION__URL", server.url("/iss"))
        status = run_status(
            capsys,
            "--at",
            "2025-04-08T05:47:20Z",
            "--observer",
            "-33.92,18.42",
            "--min-elevation",
            "10",
            code=3,  # the other feeds have no network
        )
    assert status["feeds"]["tle"] == {"state": "ok", "age_s": 0.0, "error": None}, status["feeds"]
    assert status["feeds"]["position"]["state"] == "ok"
    assert status["position"]["elements_origin"] == "feed"
    api = status["position_api"]
    assert api["source"] == "wheretheiss.at"
    assert api["timestamp"] == "2025-04-08T05:47:15Z"
    assert api["residual_km"] == pytest.approx(0.80, abs=0.05)
    assert [p["rise"][:16] for p in status["passes"]] == [
        "2025-04-08T18:48",
        "2025-04-08T20:26",
        "2025-04-09T01:21",
        "2025-04-09T02:57",
    ]
    assert [p["visible"] for p in status["passes"]] == [False, False, False, True]
    # The keys status --json always had, and those issue 17 added (nothing else, no "local":
    # status has no observer zone).
    assert set(status["passes"][0]) == {
        "rise",
        "culminate",
        "set",
        "max_elevation_deg",
        "visible",
        "approximate",
        "rise_azimuth_deg",
        "culminate_azimuth_deg",
        "set_azimuth_deg",
        "magnitude",
        "shadow_entry",
        "shadow_exit",
        "visible_from",
        "visible_until",
        "orbit_source",
    }
    assert {p["orbit_source"] for p in status["passes"]} == {"elements"}
    assert not any(p["approximate"] for p in status["passes"])  # 17 h old elements
    assert all(p["max_elevation_deg"] >= 10 for p in status["passes"])


def test_timeout_reports_what_did_not_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with loopback_server() as server:
        server.route("/iss", Reply(delay_s=3.0, body="{}"))
        monkeypatch.setenv("ISSDASH_FEEDS__TLE__ENABLED", "false")
        monkeypatch.setenv("ISSDASH_FEEDS__POSITION__URL", server.url("/iss"))
        monkeypatch.setenv("ISSDASH_FEEDS__POSITION__TIMEOUT_S", "30")
        status = run_status(capsys, "--timeout", "0.5", code=3)
    assert status["feeds"]["position"]["state"] == "down"
    assert status["feeds"]["position"]["error"] == "no answer within 0.5 s"
    assert status["feeds"]["tle"]["state"] == "disabled"
    assert status["position"] is not None  # bundled elements still give a position


def test_a_refused_telemetry_stream_does_not_hold_status_for_its_timeout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    telemetry_only(monkeypatch, "http://127.0.0.1:9")
    status = run_status(capsys, "--timeout", "30", code=3)
    # The refusal ended the wait (after 30 s it would say "no telemetry within 30 s"); the
    # report still says why the telemetry is not known.
    assert status["feeds"]["telemetry"] == {
        "state": "down",
        "age_s": None,
        "error": "cannot connect to the server",
    }
    assert status["station"]["signal"] is None


def test_offline_status_loads_no_ui_nor_httpx_cli_and_is_not_collected_at_exit(
    tmp_path: Path,
) -> None:
    env = offline_env(tmp_path)
    result = run_isolated(
        f"""
        import atexit, contextlib, gc, io, json, os, sys
        os.environ.clear()
        os.environ.update({env!r})
        state = {{}}

        def report():
            # Registered before main(): runs after every exit handler main() registered.
            state["frozen_at_exit"] = [str(gc.get_freeze_count() > 0)]
            print(json.dumps(state))

        atexit.register(report)
        from issdash.commands.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            state["code"] = [str(main(["status", "--json", "--timeout", "30"]))]
        state["telemetry"] = [json.loads(out.getvalue())["feeds"]["telemetry"]["error"]]
        state["loaded"] = sorted(
            m for m in sys.modules
            if m.split(".")[0] in ("textual", "rich", "click", "pygments")
        )
        """
    )
    assert result["code"] == ["3"]
    assert result["telemetry"] == ["cannot connect to the server"]
    # httpx's own command-line client (click, rich, pygments) is never imported.
    assert result["loaded"] == []
    # The process's objects are frozen before the interpreter's last collections.
    assert result["frozen_at_exit"] == ["True"]


def test_bad_arguments_are_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--json", "--observer", "95,0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "observer" in err.lower() and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["status", "--at", "yesterday"])
    assert "not an ISO 8601 time" in capsys.readouterr().err
    assert gc.isenabled()  # an argument error too leaves the collector running


def test_installed_command_runs_as_a_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
    env.update(
        ISSDASH_FEEDS__TLE__URL="http://127.0.0.1:9/gp",
        ISSDASH_FEEDS__POSITION__ENABLED="false",
        ISSDASH_FEEDS__TELEMETRY__ENABLED="false",
        ISSDASH_CACHE_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "issdash",
            "status",
            "--json",
            "--at",
            "2025-04-08T05:47:15Z",
            "--timeout",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr  # the tle feed did not answer: degraded
    status = json.loads(result.stdout)
    assert status["position"]["latitude_deg"] == pytest.approx(43.9, abs=0.05)
    assert status["position"]["longitude_deg"] == pytest.approx(59.2, abs=0.05)


def _feed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **payloads: Any) -> None:
    """Point feeds at files (or switch them off), so status reads exactly these payloads."""
    for feed in FEED_NAMES:
        if feed in payloads:
            path = tmp_path / f"{feed}.json"
            path.write_text(json.dumps(payloads[feed]))
            monkeypatch.setenv(f"ISSDASH_FEEDS__{feed.upper()}__URL", path.as_uri())
        else:
            monkeypatch.setenv(f"ISSDASH_FEEDS__{feed.upper()}__ENABLED", "false")


def test_crew_ten_aboard_three_elsewhere(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scripts.fixtures.ms27_payloads import corquaid_people

    _feed_files(tmp_path, monkeypatch, crew=corquaid_people())
    status = run_status(capsys, "--at", "2025-04-08T12:00:00Z")
    crew = status["crew"]
    assert crew["aboard"] == 10
    assert crew["by_country"] == {"RU": 5, "US": 4, "JP": 1}
    assert crew["elsewhere"] == 3
    assert crew["expedition"] == 72
    assert crew["source"] == "corquaid"
    kim = next(p for p in crew["people"] if p["name"] == "Jonny Kim")
    assert kim == {
        "name": "Jonny Kim",
        "country": "US",
        "agency": "NASA",
        "role": "Flight Engineer",
        "spacecraft": "Soyuz MS-27",
        "launched": "2025-04-08T05:47:15Z",
        "days_on_mission": 0,
        "days_in_space": 0,
    }


def test_crew_from_astros_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scripts.fixtures.ms27_payloads import astros

    _feed_files(tmp_path, monkeypatch, astros=astros())
    status = run_status(capsys, "--at", "2025-04-08T12:00:00Z")
    crew = status["crew"]
    assert crew["source"] == "open-notify"
    assert crew["aboard"] == 10
    assert crew["by_country"] == {"RU": 5, "US": 4, "JP": 1}
    assert crew["elsewhere"] == 3
    names = {p["name"] for p in crew["people"]}
    assert {"Ivan Vagner", "Jonathan Kim", "Aleksei Zubritskii", "Donald Pettit"} <= names


@pytest.mark.parametrize(
    ("at", "kind", "t_minus_s", "estimated"),
    [
        ("2025-04-08T05:30:00Z", "launch", 1035.0, False),
        ("2025-04-08T08:00:00Z", "docking", 3420.0, False),
        ("2025-04-08T10:00:00Z", "hatch", 5220.0, True),
    ],
)
def test_next_event_through_the_ms27_day(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    at: str,
    kind: str,
    t_minus_s: float,
    estimated: bool,
) -> None:
    from scripts.fixtures.ms27_payloads import (
        DOCKED_BEFORE_MS27,
        corquaid_docked,
        ll2_dockings,
        ll2_launch,
        ll2_launches,
    )

    # After the launch, Launch Library reports it a success (which confirms orbit insertion).
    launch_status = "Success" if at > "2025-04-08T06" else "Go"
    _feed_files(
        tmp_path,
        monkeypatch,
        launches=ll2_launches(
            ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z", launch_status)
        ),
        dockings=ll2_dockings(),
        # corquaid lists MS-27 from 09:05 (with its docking time): only then is it docked.
        docked=corquaid_docked(DOCKED_BEFORE_MS27 if at < "2025-04-08T09:05" else None),
    )
    status = run_status(capsys, "--at", at)
    event = status["next_event"]
    assert event["vehicle"] == "Soyuz MS-27"
    assert event["kind"] == kind
    assert event["t_minus_s"] == t_minus_s
    assert event["estimated"] is estimated
    assert event["port"] == "Prichal nadir"
    docked = {v["name"]: v for v in status["docked"]}
    if at >= "2025-04-08T08:57":
        assert docked["Soyuz MS-27"] == {
            "name": "Soyuz MS-27",
            "type": "crew",
            "port": "Prichal nadir",
            "docked": "2025-04-08T08:57:00Z",
        }
    else:
        assert "Soyuz MS-27" not in docked
    assert docked["Progress MS-29"]["type"] == "cargo"
