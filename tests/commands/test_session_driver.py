"""A served dashboard (issdash.tui.session_driver) ends when the serve process stops talking to it:
its output pipe closed, or its input at end of file. Textual's own web driver runs on in
both cases, a process nobody can see any more."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from issdash.tui.session_driver import DRIVER_PATH
from scripts.fixtures.serve_harness import ROOT

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


def served_dashboard() -> subprocess.Popen[bytes]:
    env = {**os.environ, "TEXTUAL_DRIVER": DRIVER_PATH, "COLUMNS": "120", "ROWS": "40"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "issdash", "--demo"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    # Wait for it to start drawing (the web driver's greeting, then frames).
    deadline = time.monotonic() + 30
    seen = b""
    while b"__GANGLION__" not in seen and time.monotonic() < deadline:
        seen += os.read(proc.stdout.fileno(), 65536)
    assert b"__GANGLION__" in seen
    return proc


def ends_within(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False
    return True


@pytest.mark.parametrize("closed", ["output", "input"])
def test_a_served_dashboard_ends_when_its_pipes_close(closed: str) -> None:
    proc = served_dashboard()
    assert proc.stdin is not None and proc.stdout is not None
    time.sleep(1.0)
    if closed == "output":
        proc.stdout.close()  # the server stopped reading; it keeps our input open
    else:
        proc.stdin.close()  # the server went away; its end of our input is closed
    assert ends_within(proc, 10), f"still running 10 s after its {closed} closed"
