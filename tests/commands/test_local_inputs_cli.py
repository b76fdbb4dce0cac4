"""The local inputs of `issdash status` through their gates (issue 24): a `file://` feed on a
device or a FIFO is a feed error, and a large recording is answered from a window of it."""

from __future__ import annotations

import gc
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from issdash.commands.cli import main
from issdash.feeds.clock import iso_z
from scripts.big_recording import write_big_recording


def test_status_with_a_feed_on_dev_zero_reports_it_and_ends(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The reproduction: `ISSDASH_FEEDS__CREW__URL=file:///dev/zero issdash status --json`."""
    monkeypatch.setenv("ISSDASH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ISSDASH_FEEDS__CREW__URL", "file:///dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("ISSDASH_FEEDS__ASTROS__URL", fifo.as_uri())
    for feed in ("TLE", "POSITION", "DOCKED", "LAUNCHES", "DOCKINGS"):
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed}__ENABLED", "false")
    code = main(["status", "--json", "--at", "2025-04-08T08:00:00Z", "--timeout", "3"])
    assert gc.isenabled()
    status = json.loads(capsys.readouterr().out)
    assert code == 3
    crew, astros = status["feeds"]["crew"], status["feeds"]["astros"]
    assert crew["state"] == "down" and astros["state"] == "down"
    assert crew["error"] == "file /dev/zero: not a regular file (a character device)"
    assert astros["error"] == f"file {fifo}: not a regular file (a FIFO)"


def test_status_at_a_time_answers_the_same_from_a_short_or_a_long_recording(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Case 7: `status --demo FILE --at T` reads a window of the file around T. Two recordings
    from the same generator, one four times the other (and gzipped), hold the same updates up
    to T: the answers are the same, the whole `station` object included."""
    short, long_ = tmp_path / "short.jsonl", tmp_path / "long.jsonl.gz"
    _, last = write_big_recording(short, 0.4, step_s=300)
    write_big_recording(long_, 1.6, step_s=300)
    at = iso_z(last - timedelta(minutes=5))  # the last whole batch of the short one
    answers = []
    for path in (short, long_):
        main(["status", "--json", "--demo", str(path), "--at", at])
        answers.append(json.loads(capsys.readouterr().out))
    assert answers[0] == answers[1]
    station = answers[0]["station"]
    assert station["signal"] == "AOS" and station["items"]
    assert answers[0]["feeds"]["telemetry"]["state"] == "ok"
    assert answers[0]["position"] is not None


def test_an_elements_history_that_is_a_fifo_or_too_big_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The history file passes the same gate: a FIFO was stat-checked, then opened blocking
    (a race), and a regular file of any size was read whole."""
    fifo = tmp_path / "history.fifo"
    os.mkfifo(fifo)
    big = tmp_path / "history.json"
    big.write_bytes(b" " * 2001)
    monkeypatch.setattr("issdash.core.runtime.HISTORY_MAX_BYTES", 2000)
    for path, why in ((fifo, "not a regular file (a FIFO)"), (big, "too large: 2,001 bytes")):
        code = main(
            ["status", "--demo", "--at", "2025-04-08T09:30:00Z", "--elements-history", str(path)]
        )
        assert code == 2
        assert f"elements history {path}: {why}" in capsys.readouterr().err
