"""Whole-process measurements for `make bench`: each program runs in a real pseudo-terminal
(120x40 unless asked), and the OS says how much CPU time and memory it used.

- time to first complete frame: from spawning the process until its output contains every
  marker text (for the demo: the map's braille, the crew roster, the countdown and the docked
  list, all drawn; see the marker lists below for the other cases);
- CPU share: utime+stime from /proc over a window, after a settle (the OS's ticks: what the
  process used, whatever else the machine is doing);
- RSS now (VmRSS) and peak (VmHWM) from /proc.

Every dashboard runs with the caller's `ISSDASH_*` variables removed, its log in a temporary
dir and `XDG_CACHE_HOME` in a bench cache dir (the gazetteer index and the zones, built by a
first untimed run, as on every start after a machine's first): see `dashboard_env`.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
# The observer given by ISSDASH_OBSERVER: Boston's coordinates (the place case names Boston).
OBSERVER = "42.36,-71.06"
PLACE = "Boston"


@dataclass
class Run:
    first_frame_s: float | None
    cpu_pct: float | None
    peak_rss_mb: float


class PtyProcess:
    def __init__(
        self,
        argv: list[str],
        cols: int = 120,
        rows: int = 40,
        env: dict[str, str] | None = None,
        *,
        inherit_env: bool = True,
    ) -> None:
        """`env` is added to this process's environment, or (`inherit_env=False`) is the whole
        environment but for the terminal's variables."""
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
                **(os.environ if inherit_env else {}),
                **(env or {}),
                "TERM": "xterm-256color",
                "COLUMNS": str(cols),
                "LINES": str(rows),
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
        """Seconds from the spawn until every marker is in the output (None: not in time)."""
        deadline = self.started + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if all(m in self.output for m in markers):
                    return time.monotonic() - self.started
            if self.proc.poll() is not None:
                return None
            time.sleep(0.005)
        return None

    def cpu_ticks(self) -> int:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

    def _status_mb(self, key: str) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
        return 0.0

    def peak_rss_mb(self) -> float:
        return self._status_mb("VmHWM:")

    def rss_mb(self) -> float:
        return self._status_mb("VmRSS:")

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


# The demo's first full frame: the map's land, the crew roster, the countdown, the docked list.
DASHBOARD_MARKERS = [b"Crew aboard the ISS", b"Exp 72", b"Docked (", "⣿".encode(), b"Soyuz MS-27"]
# With an observer or a place the first frame also has the next-pass line (its label: the
# search itself may still be running, "searching…").
OBSERVER_MARKERS = [*DASHBOARD_MARKERS, b"Next pass "]
# The next pass found and shown in the observer's own zone (Boston in April: EDT): reported
# beside the first frame, not a budget (the pass search may follow the first frame).
PASS_SHOWN_MARKERS = [*OBSERVER_MARKERS, b"EDT"]
# Live, every feed unreachable, a fresh cache: what a first frame can draw without any feed's
# answer, from bundled data: the map's land, the orbital elements' epoch from the bundled
# elements (marked "bundled"), and the crew, next-event and docked panels' frames (their
# contents say "not known" only once the feeds have failed, which needs the network).
LIVE_MARKERS = [
    b"Crew aboard the ISS",
    "⣿".encode(),
    b"bundled",
    b"Next event",
    b"Docked",
]
FLOOR_MARKERS = [b"floor: one static line"]


def measure(
    argv: list[str],
    markers: list[bytes],
    settle_s: float,
    window_s: float,
    env: dict[str, str] | None = None,
) -> Run:
    proc = PtyProcess(argv, env=env, inherit_env=env is None)
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


def live_argv() -> list[str]:
    return [sys.executable, "-m", "issdash"]


def floor_argv(*flags: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "floor_app.py"), *flags]


def dashboard_env(cache_home: Path, log_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured run: this one without `ISSDASH_*` (the user's settings
    are not the bench's), the log in `log_dir`, the bench's `XDG_CACHE_HOME`, then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
    env["XDG_CACHE_HOME"] = str(cache_home)
    env["ISSDASH_LOG_FILE"] = str(log_dir / "issdash.log")
    env.update(extra)
    return env


def offline_env(cache_home: Path, tmp: Path) -> dict[str, str]:
    """Every feed and the telemetry stream at a closed port (127.0.0.1:9, refused at once) and
    a fresh feed cache in `tmp`: live mode with nothing reachable and nothing cached."""
    from issdash.config.settings import FEED_NAMES

    extra = {f"ISSDASH_FEEDS__{feed.upper()}__URL": "http://127.0.0.1:9/x" for feed in FEED_NAMES}
    extra["ISSDASH_FEEDS__TELEMETRY__URL"] = "http://127.0.0.1:9"
    extra["ISSDASH_CACHE_DIR"] = str(tmp / "cache")
    return dashboard_env(cache_home, tmp, **extra)


@contextlib.contextmanager
def fresh_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="issdash-bench-") as tmp:
        yield Path(tmp)


def wall_seconds(argv: list[str], env: dict[str, str] | None = None, returncode: int = 0) -> float:
    """Wall seconds of one run to its end, output discarded; its exit status checked."""
    t0 = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True)
    elapsed = time.monotonic() - t0
    if done.returncode != returncode:
        raise RuntimeError(f"{argv[1:]} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return elapsed


def status_seconds(cache_home: Path | None = None) -> float:
    """`status --json --demo --at T`, whole process."""
    argv = [sys.executable, "-m", "issdash", "status", "--json", "--demo"]
    argv += ["--at", "2025-04-08T08:00:00Z"]
    if cache_home is None:
        return wall_seconds(argv)
    with fresh_dir() as tmp:
        return wall_seconds(argv, dashboard_env(cache_home, tmp))


def numpy_seconds() -> float:
    """The floor of `status --demo`: `python -c 'import numpy'`, whole process."""
    return wall_seconds([sys.executable, "-c", "import numpy"])


def offline_status_seconds(cache_home: Path | None = None) -> float:
    """`status --json` with every feed and the telemetry stream at a closed port (127.0.0.1:9,
    refused at once), a fresh cache: nothing may be waited for until `--timeout`."""
    with fresh_dir() as tmp:
        env = offline_env(cache_home or tmp / "xdg", tmp)
        # Every feed down: degraded (3).
        return wall_seconds([sys.executable, "-m", "issdash", "status", "--json"], env, 3)


def proc_pss_mb(pid: int) -> float:
    """Proportional set size (shared pages split between the processes sharing them)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, theirs, ...), from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
