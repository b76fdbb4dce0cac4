"""A dashboard ends when its terminal goes away, and on SIGTERM, even with its event loop
stuck (issue 26: a dashboard whose tmux server was killed spun on the dead terminal, its loop
blocked in a write, and ignored SIGTERM)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from issdash.tui.signals import install_signal_handlers, watch_terminal
from tests.support.processes import ROOT, offline_env


class Ended:
    """What the deadline would have done to the process."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.done = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.done.set()


async def test_sigterm_asks_the_app_to_exit_and_ends_a_stuck_process() -> None:
    exits: list[str] = []
    ended = Ended()
    before = signal.getsignal(signal.SIGTERM)
    restore = install_signal_handlers(lambda: exits.append("exit"), grace_s=0.05, end_process=ended)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):
            if exits:
                break
            await asyncio.sleep(0.01)
        assert exits == ["exit"]
        # This "app" never ends, as a loop stuck in a write would not: the process is ended.
        assert await asyncio.to_thread(ended.done.wait, 5.0)
        assert ended.codes == [0]
        os.kill(os.getpid(), signal.SIGTERM)  # a second SIGTERM starts nothing more
        await asyncio.sleep(0.1)
        assert exits == ["exit"] and ended.codes == [0]
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_terminal_that_hangs_up_is_noticed_and_a_live_one_is_not() -> None:
    master, slave = pty.openpty()
    gone = threading.Event()
    try:
        watch_terminal(slave, gone.set)
        os.write(master, b"keys\r")  # input is not a hang-up
        assert not gone.wait(0.2)
        os.close(master)
        master = -1
        assert gone.wait(5.0)
    finally:
        for fd in (master, slave):
            if fd >= 0:
                os.close(fd)


@pytest.mark.slow
def test_a_dashboard_whose_terminal_went_away_ends(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = offline_env(tmp_path, TERM="xterm-256color", COLUMNS="120", LINES="40")
    # Textual draws on stderr: all three are the terminal.
    process = subprocess.Popen(
        [sys.executable, "-m", "issdash", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    try:
        seen = b""
        deadline = time.monotonic() + 90  # generous: start-up on a loaded machine
        while b"Crew aboard the ISS" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 65536)
        assert b"Crew aboard the ISS" in seen, seen[-2000:]
        os.close(master)  # the terminal goes away (a window closed, tmux kill-server)
        master = -1
        assert process.wait(60) == 0
    finally:
        if master >= 0:
            os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait(10)
