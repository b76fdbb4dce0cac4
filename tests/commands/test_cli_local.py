"""Nothing local ends a process with a traceback, and every exit status tells the truth: crashes,
flags, `--at`, stdout and stdin problems, and the recorder (lock, whole lines, full disk,
caps, counts). Each through the public command line, most as real processes."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issdash.commands.cli import main
from issdash.config.settings import FEED_NAMES
from issdash.feeds.recording import Entry, RecordingWriteError, RecordingWriter, load_recording
from scripts.fixtures.ms27_payloads import TLE_TEXT, wheretheiss
from tests.support.loopback import Reply, loopback_server
from tests.support.processes import ROOT, catches, issdash, offline_env, wait_until

T0 = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for feed in FEED_NAMES:
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed.upper()}__URL", "http://127.0.0.1:9/x")


# -- crashes are loud -----------------------------------------------------------------


def test_a_crash_in_a_command_exits_1_with_one_line_and_the_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    offline(monkeypatch)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def boom(*_: object) -> None:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr("issdash.model.status.build_status", boom)
    assert main(["status", "--at", "2025-04-08T08:00:00Z", "--timeout", "0.5"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "internal error" in err and "RuntimeError: something nobody expected" in err
    log_path = err.split("full traceback in ")[1]
    assert "Traceback" in Path(log_path).read_text()


@pytest.mark.slow
def test_a_dashboard_crash_is_a_non_zero_exit(tmp_path: Path) -> None:
    # The systemd unit restarts on failure: a crash that exits 0 is never restarted.
    script = (
        "import sys\n"
        "import issdash.tui.dashboard as d\n"
        "def boom(self): raise RuntimeError('panel bug')\n"
        "d.IssDashApp.on_mount = boom\n"
        "from issdash.commands.cli import main\n"
        "sys.exit(main(['--demo']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=offline_env(tmp_path),
        timeout=120,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "RuntimeError: panel bug" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "issdash: the dashboard stopped on an internal error (exit status 1);"
        f" full traceback in {tmp_path / 'issdash.log'}"
    )
    assert "RuntimeError: panel bug" in (tmp_path / "issdash.log").read_text()


# -- flags and settings ---------------------------------------------------------------


def test_global_flags_work_before_and_after_the_subcommand(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    offline(monkeypatch)
    at = ["--at", "2025-04-08T08:00:00Z", "--timeout", "0.5", "--json"]
    results = []
    for args in (
        ["--observer", "51.5,-0.13", "status", *at],
        ["status", "--observer", "51.5,-0.13", *at],
        ["--observer=-33.9,18.4", "--min-elevation", "30", "status", *at],
    ):
        main(args)
        results.append(json.loads(capsys.readouterr().out))
    assert len(results[0]["passes"]) == len(results[1]["passes"]) > 0
    assert results[0]["passes"] == results[1]["passes"]
    assert all(p["max_elevation_deg"] >= 30 for p in results[2]["passes"])


def test_config_before_the_subcommand_is_used_and_a_missing_one_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    offline(monkeypatch)
    at = ["--at", "2025-04-08T08:00:00Z", "--timeout", "0.5", "--json"]
    assert main(["--config", str(tmp_path / "nope.toml"), "status", *at]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"issdash: error: config file {tmp_path / 'nope.toml'}: cannot read: no such file\n"
    )
    config = tmp_path / "c.toml"
    config.write_text('observer = "51.5,-0.13"\n')
    assert main(["--config", str(config), "status", *at]) in (0, 3)  # 3: feeds down
    assert json.loads(capsys.readouterr().out)["passes"]  # the file's observer was used
    config.write_text('obsever = "51.5,-0.13"\n')
    assert main(["status", "--config", str(config), *at]) == 2
    assert "unknown key 'obsever'" in capsys.readouterr().err


def test_bad_dim_is_rejected_at_start(tmp_path: Path) -> None:
    # It used to pass validation, then fail on every tick with a blank screen: a process
    # that keeps running past the timeout is the old failure.
    env = offline_env(tmp_path, ISSDASH_KIOSK__DIM="99:99-99:99")
    result = issdash("--kiosk", "--demo", env=env, stdin=subprocess.DEVNULL, timeout_s=60)
    assert result.returncode == 2
    assert result.stderr.startswith("issdash: error: ISSDASH_KIOSK__DIM: not a time of day")
    assert "'99:99'" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "at",
    [
        "1990-01-01T00:00:00Z",
        "1998-11-19T00:00:00Z",
        "2099-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_at_outside_what_can_be_computed_is_exit_2_in_one_line(tmp_path: Path, at: str) -> None:
    result = issdash("status", "--at", at, "--timeout", "0.5", env=offline_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "outside what can be computed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "at", ["1998-11-21T00:00:00Z", "2001-06-01T00:00:00Z", "2053-10-01T00:00:00Z"]
)
def test_at_inside_the_range_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], at: str
) -> None:
    offline(monkeypatch)
    code = main(["status", "--json", "--at", at, "--timeout", "0.5"])
    assert code in (0, 3)  # 3 (degraded: every feed down) once status reports it
    status = json.loads(capsys.readouterr().out)
    assert status["time"] == at
    position = status["position"]
    # Elements decades away give no position (a notice says why), never a made-up one.
    assert position is None or 150 < position["altitude_km"] < 1000


def test_flag_errors_quote_values_without_their_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--at", f"{ESCAPES}yesterday"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "not an ISO 8601 time" in err and "yesterday" in err
    assert "\x1b" not in err and "\x07" not in err


def test_9999_with_an_offset_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--at", "9999-12-31T23:59:59-05:00"])
    assert exit_.value.code == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err


# -- output ---------------------------------------------------------------------------

ESCAPES = "\x1b]0;pwned title\x07\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x1b[H"


def test_status_text_is_sanitised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "r.jsonl"
    lines = [
        {"format": "issdash-recording", "version": 1, "feeds": ["crew"],
         "start": "2025-04-08T08:00:00Z", "end": "2025-04-08T09:00:00Z", "description": "x"},
        {"feed": "crew", "url": "http://x/", "received_at": "2025-04-08T07:59:00Z",
         "status": 500, "error": f"HTTP 500 {ESCAPES}oops"},
        {"feed": "tle", "url": "http://x/", "received_at": "2025-04-08T07:59:00Z",
         "status": 200, "content_type": "text/plain", "body": TLE_TEXT},
    ]  # fmt: skip
    recording.write_text("".join(json.dumps(x) + "\n" for x in lines))
    main(["status", "--demo", str(recording), "--at", "2025-04-08T08:30:00Z"])
    out = capsys.readouterr().out
    assert "HTTP 500" in out and "oops" in out
    for byte in ("\x1b", "\x07", "\x9b", "\x9d"):
        assert byte not in out


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["head -1", "true"])
def test_status_into_head_exits_quietly(tmp_path: Path, reader: str) -> None:
    # `true` exits before status writes anything: the write always meets a closed pipe
    # (with `head -1` it depends on who is faster).
    env = offline_env(tmp_path)
    result = subprocess.run(
        f"set -o pipefail; {sys.executable} -m issdash status --demo --at 2025-04-08T08:00:00Z"
        f" | {reader}",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        executable="/bin/bash",
    )
    if reader.startswith("head"):
        assert result.stdout.startswith("issdash status at 2025-04-08T08:00:00Z")
    assert result.stderr == ""  # no BrokenPipeError traceback
    assert result.returncode in (0, 3)  # pipefail: status's own exit, not a crash


# -- stdin ----------------------------------------------------------------------------


@pytest.fixture
def dashboard_process(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(stdin_redirect: str) -> subprocess.Popen[bytes]:
        env = offline_env(tmp_path, TERM="xterm-256color", COLUMNS="100", LINES="30")
        process = subprocess.Popen(
            f"exec {sys.executable} -m issdash --demo {stdin_redirect}",
            shell=True,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "stderr", "wb"),  # noqa: SIM115
            env=env,
            cwd=ROOT,
            executable="/bin/bash",
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def running_until_sigterm(process: subprocess.Popen[bytes], stderr: Path) -> None:
    """Wait (however loaded the machine) until the dashboard is up and handles SIGTERM, then
    send it: it must stop cleanly, exit status 0. (A fixed sleep before SIGTERM sent it to a
    process still starting under load, which died of it: exit -15.)"""
    wait_until(
        lambda: process.poll() is not None or catches(process.pid, signal.SIGTERM),
        "the dashboard to start and handle SIGTERM",
    )
    time.sleep(2)  # a couple of ticks of running with that stdin
    assert process.poll() is None, stderr.read_text()
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, stderr.read_text()


@pytest.mark.slow
def test_stdin_at_dev_null_runs_and_stops_cleanly(dashboard_process: Any, tmp_path: Path) -> None:
    # It used to spin at ~100 % of a core (a busy loop reading end of file): that CPU share is
    # a budget of `make bench` (scripts/suite_budgets.py), not asserted here.
    process = dashboard_process("< /dev/null")
    running_until_sigterm(process, tmp_path / "stderr")


@pytest.mark.slow
def test_closed_stdin_runs_and_stops_cleanly(dashboard_process: Any, tmp_path: Path) -> None:
    process = dashboard_process("<&-")
    running_until_sigterm(process, tmp_path / "stderr")
    assert "Traceback" not in (tmp_path / "stderr").read_text()


# -- the recorder ---------------------------------------------------------------------


def entry(n: int, error: str | None = None) -> Entry:
    at = datetime(2025, 4, 8, 8, 0, n % 60, tzinfo=UTC)
    if error:
        return Entry("position", "http://x/", at, 503, error=error)
    return Entry("position", "http://x/", at, 200, "application/json", f'{{"n": {n}}}')


def test_a_second_recorder_on_the_same_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rec.jsonl"
    first = RecordingWriter(out, ["position"], T0, "first")
    first.write(entry(1))
    offline(monkeypatch)
    assert main(["record", str(out), "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"issdash: error: {out} is in use: another issdash record is writing it"
        " (lock on rec.jsonl.part)\n"
    )
    first.write(entry(2))  # the first is untouched and goes on
    first.close(T0)
    loaded = load_recording(out, FEED_NAMES)
    assert [e.body for e in loaded.entries["position"]] == ['{"n": 1}', '{"n": 2}']
    assert loaded.problems == []


def test_recording_to_a_missing_folder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    offline(monkeypatch)
    out = tmp_path / "nowhere" / "rec.jsonl"
    assert main(["record", str(out), "--duration", "1"]) == 2
    assert capsys.readouterr().err == (
        f"issdash: error: cannot record to {out}: the folder {out.parent} does not exist\n"
    )


def test_recording_nothing_good_warns_and_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    offline(monkeypatch)
    out = tmp_path / "rec.jsonl"
    assert main(["record", str(out), "--feeds", "position", "--duration", "2"]) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith("recorded ")
    assert " (0 good, " in captured.out
    assert "warning: nothing good was recorded" in captured.err
    assert load_recording(out, FEED_NAMES).entries["position"][0].error is not None


def test_size_cap_stops_with_a_valid_file(tmp_path: Path) -> None:
    out = tmp_path / "rec.jsonl"
    writer = RecordingWriter(out, ["position"], T0, "capped", max_bytes=2000)
    stops: list[str] = []
    writer.on_stop = stops.append
    written = [writer.write(entry(n)) for n in range(100)]
    writer.close(T0)
    assert stops == ["reached the size cap of 2,000 bytes"]
    assert out.stat().st_size <= 2000
    loaded = load_recording(out, FEED_NAMES)
    assert loaded.problems == []
    assert len(loaded.entries["position"]) == written.count(True) == writer.good


def test_writer_counts_good_answers_and_errors(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "r.jsonl.gz", ["position"], T0, "counts")
    writer.write(entry(1))
    writer.write(entry(2, error="cannot resolve host"))
    writer.write(entry(3))
    path = writer.close(T0)
    assert (writer.good, writer.errors) == (2, 1)
    assert len(load_recording(path, FEED_NAMES).entries["position"]) == 3
    assert gzip.decompress(path.read_bytes()).startswith(b'{"format": "issdash-recording"')


def test_writer_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RecordingWriteError, match="does not exist"):
        RecordingWriter(tmp_path / "a" / "b.jsonl", ["tle"], T0, "")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 192 KB tmpfs (we are root in CI); skipped with the reason where mounting fails."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.gz"])
def test_full_disk_stops_with_a_valid_file_and_a_clear_message(
    small_disk: Path, tmp_path: Path, name: str
) -> None:
    payload = json.loads(wheretheiss(T0, 10.0, 20.0))
    payload["padding"] = "x" * 30_000  # a few answers fill the disk
    with loopback_server() as server:
        server.route("/iss", Reply(body=json.dumps(payload)))
        env = offline_env(
            tmp_path,
            ISSDASH_FEEDS__POSITION__URL=server.url("/iss"),
            ISSDASH_FEEDS__POSITION__INTERVAL_S="1",
        )
        out = small_disk / name
        result = issdash("record", str(out), "--feeds", "position", "--duration", "60", env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "stopped early: cannot write" in result.stderr
    assert "No space left on device" in result.stderr
    good = int(result.stdout.split("(")[1].split(" good")[0])
    assert good >= 2
    loaded = load_recording(out, FEED_NAMES)
    assert loaded.problems == []  # whole lines only: no partial last line
    assert len(loaded.entries["position"]) == good  # every answer counted is in the file
    assert all(e.error is None for e in loaded.entries["position"])  # not an upstream failure
    assert not (small_disk / (name + ".part")).exists()


def test_recording_over_something_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(RecordingWriteError, match="not a regular file"):
        RecordingWriter(tmp_path / "dir.jsonl", ["tle"], T0, "")


@pytest.mark.slow
def test_record_max_size_stops_the_run_with_a_valid_file(tmp_path: Path) -> None:
    payload = json.loads(wheretheiss(T0, 10.0, 20.0))
    payload["padding"] = "x" * 2000
    with loopback_server() as server:
        server.route("/iss", Reply(body=json.dumps(payload)))
        env = offline_env(
            tmp_path,
            ISSDASH_FEEDS__POSITION__URL=server.url("/iss"),
            ISSDASH_FEEDS__POSITION__INTERVAL_S="1",
        )
        out = tmp_path / "capped.jsonl"
        started = time.monotonic()
        result = issdash(
            "record", str(out), "--feeds", "position", "--max-size", "6k", "--max-duration", "60",
            env=env,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30  # the cap ended it, not the duration
    assert "stopped early: reached the size cap of 6,000 bytes" in result.stderr
    assert out.stat().st_size <= 6000
    loaded = load_recording(out, FEED_NAMES)
    assert loaded.problems == [] and len(loaded.entries["position"]) >= 2


def test_serve_passes_every_dashboard_flag_on_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    """`issdash serve` hands each browser session's dashboard the flags it was given: all of
    them, so that a new dashboard flag needs no code in `_serve` (it used to rebuild them one
    by one, and a flag it did not know was silently dropped)."""
    from issdash.commands import serve as serve_command
    from issdash.commands.cli import build_parser

    seen: list[tuple[str, int, list[str]]] = []
    monkeypatch.setattr(serve_command, "serve", lambda h, p, a, **_options: seen.append((h, p, a)))
    typed = [
        "--observer", "-33.9,18.4", "serve", "--port", "9001", "--kiosk", "--loop",
        "--min-elevation", "15", "--demo", "--speed", "60", "--host=127.0.0.2",
        "--start", "2025-04-08T09:00:00Z",
    ]  # fmt: skip
    assert main(typed) == 0
    host, port, passed = seen[0]
    assert (host, port) == ("127.0.0.2", 9001)
    assert "serve" not in passed and not any(a.startswith(("--host", "--port")) for a in passed)
    # The dashboard parses them into exactly what serve's own parse gave for them.
    parser = build_parser()
    given = vars(parser.parse_args(["--observer=-33.9,18.4", *typed[2:]]))
    dashboard = vars(parser.parse_args(passed))
    for key in ("observer", "kiosk", "loop", "min_elevation", "demo", "speed", "start"):
        assert dashboard[key] == given[key], key


def test_a_dashboard_flag_added_later_reaches_the_served_dashboards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse

    import issdash.commands.cli as cli
    from issdash.commands import serve as serve_command

    original = cli._replay_flags

    def with_a_new_flag(parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        original(parser, *args, **kwargs)
        parser.add_argument("--brand-new", metavar="X")

    monkeypatch.setattr(cli, "_replay_flags", with_a_new_flag)
    seen: list[list[str]] = []
    monkeypatch.setattr(serve_command, "serve", lambda h, p, a, **_options: seen.append(a))
    assert main(["serve", "--brand-new", "value", "--port", "9002"]) == 0
    assert seen == [["--brand-new", "value"]]
