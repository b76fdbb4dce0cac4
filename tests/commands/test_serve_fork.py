"""`issdash serve` forks its sessions from a warm parent (issdash.commands.zygote): each
session is that parent's child, draws, holds only its own pipes; without the parent, sessions
start as plain processes.

A real `issdash serve` on a loopback port, real websocket clients, processes seen in /proc.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from pathlib import Path

import pytest

from issdash.commands.serve import zygote_environment
from issdash.commands.zygote_client import Zygote, ZygoteGone
from scripts.fixtures.serve_harness import (
    dashboards_of,
    first_frame,
    open_session,
    parent_of,
    running_serve,
    wait_until,
    zygote_of,
)

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


def channels(pid: int) -> dict[int, str]:
    """The pipes and sockets a process holds: descriptor -> kernel object ("pipe:[123]")."""
    held = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(("pipe:", "socket:")):
            held[int(fd.name)] = target
    return held


def unnamed_files(pid: int) -> set[str]:
    """The unlinked files a process holds open ("/tmp/#123 (deleted)": one per file)."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.endswith("(deleted)"):
                held.add(target)
    return held


async def test_sessions_are_forked_hold_only_their_own_pipes_and_survive_the_parent() -> None:
    with running_serve("--demo") as (port, proc):
        opened = [await open_session(port) for _ in range(2)]
        try:
            for _, ws in opened:
                assert "Crew aboard" in await first_frame(ws, "Crew aboard", 60)
            zygote = zygote_of(proc.pid)
            assert zygote is not None
            sessions = dashboards_of(proc.pid)
            assert len(sessions) == 2
            assert [parent_of(pid) for pid in sessions] == [zygote, zygote]

            # Each session's stdin, stdout and stderr are its own pipes, held by no other
            # session and not by the parent it was forked from: none can read another's keys.
            first, second = (channels(pid) for pid in sessions)
            for own in (first, second):
                assert all(own[fd].startswith("pipe:") for fd in (0, 1, 2))
                assert len({own[0], own[1], own[2]}) == 3
            assert not set(first.values()) & set(second.values())
            assert not {first[0], second[0]} & set(channels(zygote).values())
            # The recording they replay (the bundled one, inflated into an unnamed file) was
            # loaded once, by the parent: both read that one file, not copies of their own.
            recording = unnamed_files(zygote)
            assert len(recording) == 1
            assert [unnamed_files(pid) for pid in sessions] == [recording, recording]

            # The parent gone: the sessions it forked run on; the next one is a plain
            # process of the server, and draws.
            os.kill(zygote, signal.SIGKILL)
            assert wait_until(lambda: zygote_of(proc.pid) is None, 30)
            opened.append(await open_session(port))
            assert "Crew aboard" in await first_frame(opened[-1][1], "Crew aboard", 60)
            assert wait_until(lambda: len(dashboards_of(proc.pid)) == 3, 30)
            plain = set(dashboards_of(proc.pid)) - set(sessions)
            assert [parent_of(pid) for pid in plain] == [proc.pid]
        finally:
            for session, ws in opened:
                await ws.close()
                await session.close()
        # Forked (orphaned) and plain sessions alike end with their browsers.
        assert wait_until(lambda: dashboards_of(proc.pid) == [], 60), dashboards_of(proc.pid)
        assert proc.poll() is None


async def test_a_gone_parent_is_logged_and_refuses_to_fork(
    caplog: pytest.LogCaptureFixture,
) -> None:
    zygote = Zygote.start(zygote_environment())
    assert zygote is not None
    zygote.process.kill()
    zygote.process.wait()
    with caplog.at_level(logging.WARNING), pytest.raises(ZygoteGone):
        await zygote.spawn(["--demo"], dict(os.environ), os.getcwd())
    assert zygote.gone
    assert "new sessions start as processes" in caplog.text
    with pytest.raises(ZygoteGone):  # and says so at once from then on
        await zygote.spawn(["--demo"], dict(os.environ), os.getcwd())
    zygote.close()


async def test_a_parent_that_does_not_answer_is_given_up_and_ended(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopped (SIGSTOP): alive, its socket open, never answering. A session must not wait on
    # it for ever, nor every session after it.
    monkeypatch.setattr("issdash.commands.zygote_client.SPAWN_TIMEOUT_S", 0.5)
    zygote = Zygote.start(zygote_environment())
    assert zygote is not None
    os.kill(zygote.process.pid, signal.SIGSTOP)
    with caplog.at_level(logging.WARNING), pytest.raises(ZygoteGone):
        await zygote.spawn(["--demo"], dict(os.environ), os.getcwd())
    assert zygote.gone
    assert "no answer within 0.5 s" in caplog.text
    assert zygote.process.returncode == -signal.SIGKILL  # ended and reaped
    with pytest.raises(ZygoteGone):
        await zygote.spawn(["--demo"], dict(os.environ), os.getcwd())
    zygote.close()
