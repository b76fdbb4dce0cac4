"""`issdash passes` end to end: the JSON interface, the iCalendar file read back with the
icalendar package, the element-age honesty, and clean errors for any input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issdash.commands.cli import main
from scripts.fixtures.elements import tle_text
from scripts.fixtures.ms27_payloads import TLE_TEXT
from tests.support.processes import run_isolated

# Many seconds in all (ten-day pass searches through the command line):
# `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow

CAPE_TOWN = "-33.92,18.42"
AT = "2025-04-08T12:00:00Z"
# The elements' epoch is 2025-04-07 12:29: past 2025-04-10 12:29 passes are approximate.
EARLY = "2025-04-08T00:00:00Z"
PASS_KEYS = {
    "rise", "culminate", "set", "max_elevation_deg", "visible", "approximate",
    "rise_azimuth_deg", "culminate_azimuth_deg", "set_azimuth_deg", "magnitude",
    "shadow_entry", "shadow_exit", "visible_from", "visible_until", "local", "orbit_source",
}  # fmt: skip


@pytest.fixture
def elements_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The element feed answers from a file (the real CelesTrak set of 2025-04-07)."""
    path = tmp_path / "iss.tle"
    path.write_text(TLE_TEXT)
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", path.as_uri())
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["passes", *args])
    except SystemExit as exc:  # argparse's own usage errors (exit status 2)
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict[str, Any]:
    got, out, err = run(capsys, "--json", *args)
    assert got == code, err
    return json.loads(out)


def test_json_for_a_place_with_fresh_elements(
    capsys: pytest.CaptureFixture[str], elements_file: Path
) -> None:
    report = run_json(capsys, "--place", "Boston", "--days", "2", "--at", AT)
    assert report["observer"] == {
        "latitude_deg": pytest.approx(42.35843),
        "longitude_deg": pytest.approx(-71.05977),
        "altitude_m": 0.0,
        "place": "Boston, Massachusetts, US",
        "timezone": "America/New_York",
        "timezone_source": "place",
    }
    assert report["elements"]["origin"] == "feed"
    assert report["degraded"] is False and report["withheld"] is None
    passes = report["passes"]
    assert len(passes) >= 8  # about six a day at 42 N
    for p in passes:
        assert set(p) == PASS_KEYS
        assert p["rise"] < p["culminate"] < p["set"]
        assert all(p[k].endswith("Z") for k in ("rise", "culminate", "set"))
        assert p["local"]["rise"].endswith("-04:00")  # EDT in April
        assert 0.0 <= p["rise_azimuth_deg"] < 360.0
        assert p["approximate"] is False
    assert passes[0]["set"] > "2025-04-08T12:00:00Z"
    assert passes[-1]["rise"] < "2025-04-10T12:00:00Z"


def test_json_says_when_a_visible_pass_fades(
    capsys: pytest.CaptureFixture[str], elements_file: Path
) -> None:
    report = run_json(capsys, "--observer", CAPE_TOWN, "--days", "2", "--at", AT, "--visible")
    assert report["visible_only"] is True
    assert report["observer"]["timezone"] == "Africa/Johannesburg"
    assert report["observer"]["timezone_source"] == "coordinates"
    assert all(p["visible"] for p in report["passes"])
    dusk = next(p for p in report["passes"] if p["rise"].startswith("2025-04-09T18:01"))
    assert dusk["shadow_entry"] == "2025-04-09T18:02:18Z"
    assert dusk["shadow_exit"] is None
    assert dusk["visible_until"] == dusk["shadow_entry"]
    assert dusk["local"]["shadow_entry"] == "2025-04-09T20:02:18+02:00"
    assert -4.0 < dusk["magnitude"] < 0.0


def test_table_in_local_time_with_directions_and_fading(
    capsys: pytest.CaptureFixture[str], elements_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run(capsys, "--observer", CAPE_TOWN, "--days", "2", "--at", AT, "--visible")
    assert code == 0
    assert "times in SAST (Africa/Johannesburg, the zone at these coordinates)" in out
    row = next(line for line in out.splitlines() if "Wed 09 Apr  20:01 SAST" in line)
    assert "(18:01Z)" in row  # wide enough for UTC beside it
    assert "NNW -> NE -> ESE" in row
    assert " est." in row
    assert "visible, fades at 20:02" in row
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "--observer", CAPE_TOWN, "--days", "2", "--at", AT, "--visible")
    assert "(18:01Z)" not in out and "20:01 SAST" in out
    assert "yes, fades at 20:02" in out
    assert all(len(line) <= 80 for line in out.splitlines()), out


def test_ics_parses_back_and_matches_the_json(
    capsys: pytest.CaptureFixture[str], elements_file: Path, tmp_path: Path
) -> None:
    ics = tmp_path / "iss.ics"
    report = run_json(
        capsys, "--observer", CAPE_TOWN, "--days", "2", "--at", EARLY, "--ics", str(ics)
    )
    visible = [p for p in report["passes"] if p["visible"]]
    assert len(visible) >= 3
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(visible)
    for event, p in zip(events, visible, strict=True):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
        assert start.strftime("%Y-%m-%dT%H:%M:%SZ") == p["visible_from"]
        assert end.strftime("%Y-%m-%dT%H:%M:%SZ") == p["visible_until"]
        summary = str(event["summary"])
        assert summary.startswith(f"ISS pass, up to {p['max_elevation_deg']:.0f}°, ")
        description = str(event["description"])
        assert " -> " in description and "Magnitude" in description
        if p["shadow_entry"]:
            assert "Fades into Earth's shadow at" in description
    assert len({str(e["uid"]) for e in events}) == len(events)


def test_ics_uids_survive_newer_elements(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-importing after an element update updates events instead of duplicating them: the
    same passes, seconds apart, keep their UIDs."""
    uids, rises = [], []
    for mean_anomaly in (341.0349, 341.1349):  # 0.1 degree: the passes move by about 1.5 s
        elements = tmp_path / f"iss-{mean_anomaly}.tle"
        # Dated after the bundled set (2025-04-07 12:29:36), or that one would be chosen.
        epoch = datetime(2025, 4, 7, 18, 0, tzinfo=UTC)
        elements.write_text(tle_text(mean_anomaly_deg=mean_anomaly, epoch=epoch))
        monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", elements.as_uri())
        ics = tmp_path / f"iss-{mean_anomaly}.ics"
        report = run_json(
            capsys, "--observer", CAPE_TOWN, "--days", "2", "--at", EARLY, "--ics", str(ics)
        )
        assert report["elements"] == {"epoch": "2025-04-07T18:00:00Z", "origin": "feed",
                                      "age_h": 6.0}  # fmt: skip
        rises.append([p["rise"] for p in report["passes"] if p["visible"]])
        events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
        uids.append([str(e["uid"]) for e in events])
    assert rises[0] != rises[1]  # the passes did move
    assert uids[0] and uids[0] == uids[1]


def test_old_bundled_elements_withhold_passes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No network and no cache: the bundled set of 2025-04-07, far too old for 2026.
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "http://127.0.0.1:9/gp")
    report = run_json(
        capsys, "--place", "Boston", "--at", "2026-11-29T12:00:00Z", "--timeout", "2", code=3
    )
    assert report["passes"] is None
    assert report["elements"]["origin"] == "bundled"
    assert report["withheld"].startswith("elements too old")
    assert report["feeds"]["tle"]["state"] != "ok"
    assert any("passes withheld" in n for n in report["notices"])


def test_withheld_passes_say_the_network_is_why_in_text_as_in_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 24: offline, the text said "passes withheld: elements too old" and never that
    # the element feed did not answer (only --json had it, under feeds).
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "http://127.0.0.1:9/gp")
    args = ("--place", "Boston", "--at", "2026-11-29T12:00:00Z", "--timeout", "2")
    report = run_json(capsys, *args, code=3)
    why = "the element feed did not answer (cannot connect"
    assert report["withheld"].startswith("elements too old (") and why in report["withheld"]
    code, out, _ = run(capsys, *args)
    assert code == 3
    text = " ".join(out.split())  # notices are wrapped to the terminal's width
    assert "passes withheld: elements too old (" in text and why in text


def test_withheld_passes_blame_no_feed_that_answered(
    capsys: pytest.CaptureFixture[str], elements_file: Path
) -> None:
    # The feed answered: a time far from its set is the reason, and nothing else is said.
    report = run_json(capsys, "--place", "Boston", "--at", "2026-11-29T12:00:00Z", code=3)
    assert report["feeds"]["tle"]["error"] is None  # answered (stale: its set is old)
    assert report["withheld"].startswith("elements too old (")
    assert "feed" not in report["withheld"]


def test_bundled_elements_near_their_epoch_give_passes_marked_degraded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "http://127.0.0.1:9/gp")
    report = run_json(capsys, "--place", "Boston", "--at", AT, "--timeout", "2", code=3)
    assert report["elements"]["origin"] == "bundled"
    assert report["passes"]  # offered: the set is half a day old
    assert report["degraded"] is True  # but the feed did not answer


def test_span_running_past_fourteen_days_is_cut_and_said(
    capsys: pytest.CaptureFixture[str], elements_file: Path
) -> None:
    report = run_json(
        capsys, "--observer", CAPE_TOWN, "--days", "10", "--at", "2025-04-15T00:00:00Z", code=3
    )
    assert report["withheld_after"] == "2025-04-21T12:29:36Z"  # epoch + 14 days
    assert report["passes"] and all(p["rise"] < report["withheld_after"] for p in report["passes"])
    assert all(p["approximate"] for p in report["passes"])  # all past 3 days from the epoch


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--days", "0"], "days must be 1 to 30"),
        (["--days", "31"], "days must be 1 to 30"),
        (["--days", "two"], "not a whole number"),
        (["--at", "1990-01-01T00:00:00Z"], "outside what can be computed"),
        (["--at", "9999-01-01T00:00:00Z"], "outside what can be computed"),
        (["--place", "Ede"], "did you mean Ede, N"),
        (["--place", "Nowhere-on-earth"], "no place called"),
        (["--place", "Amsterdam", "--observer", "1,2"], "both given"),
        (["--ics", "/nonexistent-dir/x.ics"], "cannot write"),
    ],
)
def test_usage_errors_are_one_clean_line(
    capsys: pytest.CaptureFixture[str], elements_file: Path, args: list[str], says: str
) -> None:
    observer = [] if any(a in ("--place", "--observer") for a in args) else ["--place", "Boston"]
    code, _, err = (
        run(capsys, *observer, "--at", AT, *args)
        if "--at" not in args
        else run(capsys, *observer, *args)
    )
    assert code == 2
    assert says in err
    assert "Traceback" not in err


def test_no_observer_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], elements_file: Path
) -> None:
    code, _, err = run(capsys, "--at", AT)
    assert code == 2 and "passes needs an observer" in err


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_any_place_text_is_a_result_or_a_clean_error(
    capsys: pytest.CaptureFixture[str], elements_file: Path, name: str
) -> None:
    code, out, err = run(capsys, "--place", name, "--at", AT, "--days", "1", "--json")
    assert code in (0, 2, 3), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        # argparse's usage, then one line saying what is wrong (never a traceback).
        said = [line for line in err.splitlines() if line.startswith("issdash")]
        assert len(said) == 1 and "error:" in said[0]
    else:
        assert json.loads(out)["observer"]["place"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-5, max_value=60),
)
def test_any_time_and_span_is_a_result_or_a_clean_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    at: datetime,
    days: int,
) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__ENABLED", "false")  # bundled elements only
    stamp = at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    code, out, err = run(
        capsys, "--observer", CAPE_TOWN, "--at", stamp, "--days", str(days), "--json"
    )
    assert code in (0, 2, 3), err
    assert "Traceback" not in err and "internal error" not in err
    if code != 2:
        assert isinstance(json.loads(out)["notices"], list)


def test_passes_runs_without_textual_or_rich(tmp_path: Path) -> None:
    """`issdash passes` is not in the dashboard's hot path: no Textual, no Rich loaded; nor
    what only `status` reports (issdash.model.status: the crew, the visits, the station)."""
    elements = tmp_path / "iss.tle"
    elements.write_text(TLE_TEXT)
    result = run_isolated(
        f"""
        import contextlib, io, json, os, sys
        os.environ["ISSDASH_FEEDS__TLE__URL"] = {elements.as_uri()!r}
        os.environ["ISSDASH_CACHE_DIR"] = {str(tmp_path / "cache")!r}
        os.environ["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"
        # NASA's trajectory and CelesTrak's fit would be asked over HTTPS (httpx loads Rich
        # for its command line); this run is about the elements alone, offline.
        os.environ["ISSDASH_FEEDS__OEM__ENABLED"] = "false"
        os.environ["ISSDASH_FEEDS__SUPGP__ENABLED"] = "false"
        from issdash.commands.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["passes", "--place", "Boston", "--at", {AT!r}, "--days", "1",
                         "--ics", {str(tmp_path / "x.ics")!r}])
            main(["passes", "--place", "Boston", "--at", {AT!r}, "--days", "1", "--json"])
        loaded = sorted(
            m for m in sys.modules
            if m.split(".")[0] in ("textual", "rich") or m == "issdash.model.status"
        )
        print(json.dumps({{"code": [str(code)], "loaded": loaded}}))
        """
    )
    assert result["code"] == ["0"]
    assert result["loaded"] == []


def test_demo_recording_gives_passes_offline(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--demo", "--observer", CAPE_TOWN, "--days", "1", "--visible", code=3)
    # The set the recording holds at its start is from 2025-04-06 00:53: by the pass it is
    # over 3 days old, so the pass is offered as approximate (and the exit status says so).
    assert report["passes"][0]["approximate"] is True
    assert report["time"] == "2025-04-08T05:44:00Z"  # the recording's start
    assert report["elements"]["origin"] == "feed"  # the recording's elements
    assert list(report["feeds"]) == ["tle"]
    assert [p["rise"][:16] for p in report["passes"]] == ["2025-04-09T02:57"]


def test_a_flag_replaces_the_configured_observer_or_place(
    capsys: pytest.CaptureFixture[str],
    elements_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('observer = "10,20"\n')
    report = run_json(
        capsys, "--config", str(config), "--place", "Ede, NL", "--at", AT, "--days", "1"
    )
    assert report["observer"]["place"] == "Ede, NL"
    monkeypatch.setenv("ISSDASH_PLACE", "Amsterdam")
    report = run_json(capsys, "--observer", "52.0,5.0", "--at", AT, "--days", "1")
    assert report["observer"]["place"] is None
    assert report["observer"]["timezone_source"] == "coordinates"
    # Both in the settings: a clean settings error naming them.
    code, _, err = run(capsys, "--config", str(config), "--at", AT)
    assert code == 2 and "observer and place are both set" in err


def test_table_says_a_dawn_pass_is_seen_only_until_the_sky_brightens(
    capsys: pytest.CaptureFixture[str], elements_file: Path
) -> None:
    code, out, _ = run(capsys, "--place", "Boston", "--days", "10", "--at", EARLY, "--visible")
    assert code == 3  # the last days are approximate
    (row,) = [line for line in out.splitlines() if "Thu 17 Apr" in line]
    assert "05:29 EDT" in row and "yes until 05:30 ~" in row


def test_ics_to_a_pipe_nobody_reads_is_a_clean_error_not_a_hang(
    capsys: pytest.CaptureFixture[str], elements_file: Path, tmp_path: Path
) -> None:
    """Opening a FIFO for writing waits for a reader: `--ics` to one nobody reads hung the
    command forever. It is a usage error now, and a FIFO that is read gets the calendar."""
    import os
    import threading

    fifo = tmp_path / "passes.ics"
    os.mkfifo(fifo)
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            main(
                [
                    "passes",
                    "--observer",
                    CAPE_TOWN,
                    "--at",
                    EARLY,
                    "--days",
                    "1",
                    "--ics",
                    str(fifo),
                ]
            )
        ),
        daemon=True,
    )
    worker.start()
    worker.join(30)
    if worker.is_alive():  # the old hang: let it go (a reader opens the FIFO), then fail
        with fifo.open("rb") as reader:
            reader.read()
        worker.join(30)
        pytest.fail("--ics to a FIFO with no reader hung")
    assert result == [2]
    assert "a pipe nobody reads" in capsys.readouterr().err

    # With a reader there (opened first, so no race; the calendar fits the pipe's buffer):
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        code, _, err = run(
            capsys, "--observer", CAPE_TOWN, "--at", EARLY, "--days", "2", "--ics", str(fifo)
        )
        os.set_blocking(reader, True)
        received = b"".join(iter(lambda: os.read(reader, 65536), b""))
    finally:
        os.close(reader)
    assert code == 0, err
    assert icalendar.Calendar.from_ical(received).walk("VEVENT")
