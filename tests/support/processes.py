"""The dashboard as a real process: its command line, an environment that stays offline, and a
fresh interpreter for checks of what a module really loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from issdash.config.settings import FEED_NAMES

ROOT = Path(__file__).resolve().parent.parent.parent


def offline_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A process environment with every feed pointed at a closed local port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
    for feed in FEED_NAMES:
        env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = "http://127.0.0.1:9/x"
    # The telemetry stream too: left at its default it went to NASA's Lightstreamer server, and
    # where there is no network a name lookup under a faked clock hung `status` for minutes.
    env["ISSDASH_FEEDS__TELEMETRY__URL"] = "http://127.0.0.1:9"
    env["ISSDASH_CACHE_DIR"] = str(tmp_path / "cache")
    env["ISSDASH_LOG_FILE"] = str(tmp_path / "issdash.log")
    env.update(extra)
    return env


def issdash(
    *args: str, env: dict[str, str], timeout_s: float = 120, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """`python -m issdash ARGS` to its end, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "issdash", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
        cwd=ROOT,
        **kwargs,
    )


def run_isolated(code: str) -> dict[str, list[str]]:
    """Run `code` in a fresh interpreter; it prints a JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 3), done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after a generous `timeout_s` (a
    loaded machine is slow, never this slow)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s:g} s waiting for {what}"
        time.sleep(0.05)


def catches(pid: int, signal_number: int) -> bool:
    """True once the process has a handler installed for the signal (its SigCgt mask in
    /proc): for the dashboard, SIGTERM is caught once it is running and will stop cleanly."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal_number - 1) & 1)
    return False
