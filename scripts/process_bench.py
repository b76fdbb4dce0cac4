"""Whole-process measurements for `make bench`: each program runs in a real pseudo-terminal
(120x40 unless asked), and the OS says how much CPU time and memory it used.

- time to first complete frame: from spawning the process until its output contains every
  marker text (for the dashboard: the map's braille, the crew roster, the countdown and the
  docked list, all drawn);
- CPU share: utime+stime from /proc over a window, after a settle;
- peak RSS: VmHWM from /proc.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    first_frame_s: float | None
    cpu_pct: float | None
    peak_rss_mb: float


class PtyProcess:
    def __init__(
        self, argv: list[str], cols: int = 120, rows: int = 40, env: dict[str, str] | None = None
    ) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env={
                **os.environ,
                "TERM": "xterm-256color",
                "COLUMNS": str(cols),
                "LINES": str(rows),
                **(env or {}),
            },
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._lock = threading.Lock()
        self._stop = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        # Keep draining the terminal, as a real terminal would, or the program blocks.
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                if not data:
                    return
                with self._lock:
                    self.output.extend(data)

    def wait_for(self, markers: list[bytes], timeout_s: float) -> float | None:
        deadline = self.started + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if all(m in self.output for m in markers):
                    return time.monotonic() - self.started
            time.sleep(0.005)
        return None

    def cpu_ticks(self) -> int:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._stop = True
        self._reader.join(timeout=2)
        os.close(self.master)


DASHBOARD_MARKERS = [b"Crew aboard the ISS", b"Exp 72", b"Docked (", "⣿".encode(), b"Soyuz MS-27"]
FLOOR_MARKERS = [b"floor: one static line"]


def measure(argv: list[str], markers: list[bytes], settle_s: float, window_s: float) -> Run:
    proc = PtyProcess(argv)
    try:
        first = proc.wait_for(markers, timeout_s=30)
        cpu = None
        if window_s > 0:
            time.sleep(settle_s)
            t0, c0 = time.monotonic(), proc.cpu_ticks()
            time.sleep(window_s)
            t1, c1 = time.monotonic(), proc.cpu_ticks()
            cpu = 100.0 * (c1 - c0) / CLK_TCK / (t1 - t0)
        return Run(first, cpu, proc.peak_rss_mb())
    finally:
        proc.stop()


def dashboard_argv(*flags: str) -> list[str]:
    return [sys.executable, "-m", "issdash", "--demo", *flags]


def floor_argv() -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "floor_app.py")]


def status_seconds() -> float:
    t0 = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "issdash",
            "status",
            "--json",
            "--demo",
            "--at",
            "2025-04-08T08:00:00Z",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - t0


def offline_status_seconds() -> float:
    """`status --json` with every feed and the telemetry stream at a closed port (127.0.0.1:9,
    refused at once), a fresh cache: nothing may be waited for until `--timeout`."""
    from issdash.config.settings import FEED_NAMES

    with tempfile.TemporaryDirectory(prefix="issdash-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
        for feed in FEED_NAMES:
            env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = "http://127.0.0.1:9/x"
        env["ISSDASH_FEEDS__TELEMETRY__URL"] = "http://127.0.0.1:9"
        env["ISSDASH_CACHE_DIR"] = str(Path(tmp) / "cache")
        env["ISSDASH_LOG_FILE"] = str(Path(tmp) / "issdash.log")
        t0 = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "issdash", "status", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
        elapsed = time.monotonic() - t0
    assert done.returncode == 3, done.stderr  # every feed down: degraded
    return elapsed
