"""The local inputs of `issdash status` through their gates (issue 24): a `file://` feed on a
device or a FIFO is a feed error, and a large recording is answered from a window of it."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import pytest

from issdash.commands.cli import main


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
