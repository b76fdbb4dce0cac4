"""The serve process's side of the warm parent (issdash.commands.zygote): start it, ask it
for a session, and see each forked session as the asyncio process textual-serve expects
(`pid`, `stdin`, `stdout`, `stderr`, `returncode`, `wait()`).

The serve process makes each session's three pipes itself and hands the child's ends to the
zygote over the socket (SCM_RIGHTS), closing its own copies at once: the pipes exist only
between this process and that one child. When the zygote is gone (it crashed, was killed,
never started), `spawn` raises `ZygoteGone` and the caller starts the session as a plain
process; the sessions it had forked run on, watched through a pidfd (their exit status went
with their parent: 255, as asyncio reports a child it could not wait for).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

# Exit status of a session whose parent (the zygote) died before reporting it.
UNKNOWN_STATUS = 255
# Seconds a session waits for the warm parent to fork it: room for the parent's own warm-up
# (a second or two; a large --demo recording more) on a loaded machine, not for a stuck one.
SPAWN_TIMEOUT_S = 15.0


class ZygoteGone(RuntimeError):
    """The warm parent cannot fork a session (it is gone, or said no)."""


class ForkedProcess:
    """A session forked by the zygote, seen as an `asyncio.subprocess.Process`."""

    def __init__(
        self,
        pid: int,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._exited = asyncio.get_running_loop().create_future()

    def exited(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
            self._exited.set_result(code)

    async def wait(self) -> int:
        return int(await asyncio.shield(self._exited))


class Zygote:
    """The warm parent, seen from the serve process."""

    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.process = process
        self._sock = sock
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._children: dict[int, ForkedProcess] = {}
        # Exits reported before their session was wired up (it can end that fast).
        self._early_exits: dict[int, int] = {}
        self._reading = False
        self.gone = False

    @classmethod
    def start(cls, env: dict[str, str], session_args: Sequence[str] = ()) -> Zygote | None:
        """Start the zygote (from a clean interpreter); None if it cannot be started.
        `session_args`: the sessions' flags, for what it loads ahead (the recording)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "issdash.commands.zygote",
                    str(theirs.fileno()),
                    *session_args,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                pass_fds=(theirs.fileno(),),
            )
        except OSError as exc:
            log.warning("cannot start the sessions' warm parent (%s): plain processes", exc)
            ours.close()
            return None
        finally:
            theirs.close()
        ours.setblocking(False)
        return cls(process, ours)

    async def spawn(self, args: list[str], env: dict[str, str], cwd: str) -> ForkedProcess:
        """A forked session running the dashboard with `args` in `env`."""
        if self.gone:
            raise ZygoteGone("the zygote is gone")
        loop = asyncio.get_running_loop()
        if not self._reading:
            self._reading = True
            loop.add_reader(self._sock.fileno(), self._on_readable)
        ident = next(self._ids)
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        theirs = (stdin_r, stdout_w, stderr_w)
        reply: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[ident] = reply
        request = {"op": "spawn", "id": ident, "args": args, "env": env, "cwd": cwd}
        try:
            self._sock.sendmsg(
                [json.dumps(request).encode()],
                [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", theirs))],
            )
        except OSError as exc:
            self._pending.pop(ident, None)
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            self._lost(f"cannot send it a request ({exc})")
            raise ZygoteGone(str(exc)) from exc
        finally:
            # In flight, the message holds its own copies: ours would keep the child's ends
            # open here (its stdin never reaching end of file when it should).
            for fd in theirs:
                os.close(fd)
        try:
            async with asyncio.timeout(SPAWN_TIMEOUT_S):
                answer = await reply
        except TimeoutError as exc:
            # Alive but not answering (stuck, stopped): every later session would wait on it
            # too. Given up on and ended; this session and the next start as processes.
            self._pending.pop(ident, None)
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            self._lost(f"no answer within {SPAWN_TIMEOUT_S:g} s")
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=2)  # SIGKILL: at once; reaped, not left a zombie
            raise ZygoteGone("no answer") from exc
        except BaseException:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            raise
        if "pid" not in answer:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            raise ZygoteGone(str(answer.get("error", "no answer")))
        pid = int(answer["pid"])
        stdout = await _reader(loop, stdout_r)
        stderr = await _reader(loop, stderr_r)
        stdin = await _writer(loop, stdin_w)
        child = ForkedProcess(pid, stdin, stdout, stderr)
        if pid in self._early_exits:
            child.exited(self._early_exits.pop(pid))
        elif self.gone:
            _watch_orphan(loop, pid, child)
        else:
            self._children[pid] = child
        return child

    def _on_readable(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._lost(f"its socket failed ({exc})")
                return
            if not data:
                self._lost("it exited")
                return
            message = json.loads(data)
            if "exited" in message:
                pid, code = int(message["exited"]), int(message["code"])
                child = self._children.pop(pid, None)
                if child is not None:
                    child.exited(code)
                else:
                    self._early_exits[pid] = code
                continue
            reply = self._pending.pop(int(message["id"]), None)
            if reply is not None and not reply.done():
                reply.set_result(message)

    def _lost(self, why: str) -> None:
        if self.gone:
            return
        self.gone = True
        log.warning("the sessions' warm parent is gone (%s): new sessions start as processes", why)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self.process.poll()  # reaped, if it exited
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(ZygoteGone(why))
        self._pending.clear()
        # Its sessions run on, orphaned: watch each for its end.
        for pid, child in list(self._children.items()):
            _watch_orphan(loop, pid, child)
        self._children.clear()

    def close(self) -> None:
        """The zygote exits at end of file on its socket; reaped here."""
        if not self.gone:
            self.gone = True
            with contextlib.suppress(RuntimeError, ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
        # It reads its socket once loaded: still loading, it is ended instead of awaited.
        for stop in (None, self.process.terminate, self.process.kill):
            if stop is not None:
                stop()
            try:
                self.process.wait(timeout=2)
                return
            except subprocess.TimeoutExpired:
                continue


def _watch_orphan(loop: asyncio.AbstractEventLoop, pid: int, child: ForkedProcess) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:  # already gone (and reaped by whoever adopted it)
        child.exited(UNKNOWN_STATUS)
        return

    def ended() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        child.exited(UNKNOWN_STATUS)

    loop.add_reader(pidfd, ended)


async def _reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    # asyncio's subprocess default: lines (the prelude textual-serve reads) up to 64 KiB.
    reader = asyncio.StreamReader(limit=2**16, loop=loop)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(fd, "rb", buffering=0)
    )
    return reader


async def _writer(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamWriter:
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.streams.FlowControlMixin(loop=loop), os.fdopen(fd, "wb", buffering=0)
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)
