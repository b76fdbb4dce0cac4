"""The warm parent of `issdash serve`'s sessions (a "zygote"): one process that has imported
everything a served dashboard imports, and forks a child per browser session.

Each session used to be a fresh `python -m issdash`: ~1.4 s of imports and loading (Textual,
numpy, skyfield, pydantic, the bundled data, the ephemeris) and ~65 MB of private memory,
paid again by every session. Forked from this process, a session starts with all of that
done, and its pages are this process's until written: the heap is frozen (`gc.freeze`) before
the first fork so the collector never walks, and so never copies, what was imported here.

The serve process starts this module with `python -m issdash.commands.zygote FD ARGS...` (a
clean interpreter: the serve process runs an event loop and threads, and must never fork
itself), FD being its end of a SOCK_SEQPACKET socket pair and ARGS the sessions' flags. Over
it, one message per request:

- serve -> here: `{"op": "spawn", "id": N, "args": [...], "env": {...}, "cwd": "..."}` with
  three file descriptors attached (SCM_RIGHTS): the session's stdin, stdout and stderr.
- here -> serve: `{"id": N, "pid": P}` once the child leads its own session (so the serve
  process can signal its process group at once), or `{"id": N, "error": "..."}`; later
  `{"exited": P, "code": C}` when it has been reaped (C as asyncio reports it: negative for
  a signal).

No event loop and no threads run here (a fork keeps only the forking thread): one selector
over the socket and the SIGCHLD wake-up pipe. The received descriptors are closed here right
after each fork, so a session holds its own three pipes and no other session's. At end of
file on the socket (the serve process is gone) this process exits; its sessions notice their
own pipes closing and end themselves (issdash.tui.session_driver).
"""

from __future__ import annotations

import array
import contextlib
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import sys
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# What a served session imports, loaded once here. Names, not imports: a module renamed or
# removed by a later change costs a session its head start, never the zygote its life.
WARM_MODULES = (
    "issdash.commands.cli",
    "issdash.commands.dashboard",
    "issdash.config.settings",
    "issdash.core.runtime",
    "issdash.model.kiosk",
    "issdash.tui.dashboard",
    "issdash.tui.session_driver",
    "textual.drivers.web_driver",
    "textual.app",
    "textual.widgets",
    "textual.css.query",
    "rich.console",
    "numpy",
    "skyfield.sgp4lib",
    "pydantic",
    "pycountry",
    # Loaded while the first frame is built (measured: a session's modules less these).
    "issdash.feeds.data",
    "issdash.feeds.recording_index",
    "issdash.feeds.recording_lines",
    "numpy.ma",
    "textual.drivers.headless_driver",
    "textual.layouts.factory",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "textual.pilot",
    "textual.scrollbar",
    "_strptime",
    "concurrent.futures.thread",
    "encodings.utf_32_le",
    # The pass planner: loaded when a user first opens it (each session paying ~MBs of
    # private pages for its own copy of the modules otherwise).
    "issdash.tui.passes.screen",
    "issdash.widgets.passes.planner",
    "issdash.widgets.passes.sky_chart",
    "issdash.model.passes.planner",
    "issdash.model.passes.sky_chart",
    "issdash.model.passes.finder",
    # Live sessions under a collector: the bus client.
    "issdash.core.bus_link",
    "issdash.feeds.bus",
    "issdash.feeds.bus_redis",
    "issdash.feeds.bus_wire",
)
# Largest message: a session's environment (a few kB) with room to spare.
MAX_MESSAGE = 1 << 20
# At most this many descriptors come with a request (stdin, stdout, stderr).
FDS_PER_SPAWN = 3


@dataclass(frozen=True)
class Spawn:
    """What a forked child runs: the dashboard's arguments in its own environment."""

    args: list[str]
    env: dict[str, str]
    cwd: str


def warm(session_args: list[str] | None = None) -> None:
    """Import and load what every session would, without starting anything (no event loop,
    no thread: a fork keeps only the forking thread). `session_args`: the sessions' flags,
    for what depends on them (the recording they replay)."""
    # One BLAS thread: numpy's OpenBLAS would otherwise start a thread per core at import,
    # and threads do not survive a fork. Set here even over a user's own value (unlike the
    # command line's defaults): a parent with BLAS threads would fork broken sessions.
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a missing module costs only its share of the head start
            log.warning("zygote: cannot import %s: %s", name, exc)
    with contextlib.suppress(Exception):
        _warm_data()
    if session_args is not None:
        # A recording that cannot be loaded is each session's to report, as it would.
        with contextlib.suppress(Exception, SystemExit):
            _warm_recording(session_args)


def _warm_recording(session_args: list[str]) -> None:
    """The recording `--demo` sessions replay, loaded once here (issdash.commands.inputs):
    its index is then shared by every session, and its lines read by offset (os.pread), so
    the one open file they share has no position to fight over."""
    from issdash.commands.cli import build_parser
    from issdash.commands.inputs import keep_recording

    args = build_parser().parse_args(session_args)
    if args.command is None and args.demo is not None:
        keep_recording(args)


def _warm_data() -> None:
    """The bundled data every session loads: the ephemeris (its arrays mapped, so children
    share the mapping and never read the file), the land mask, the country table; and the
    settings loaded once, so pydantic has built its validators here. Nothing that holds an
    open file position (the recording is read as it is replayed): children would share it."""
    from issdash.config.settings import load_settings
    from issdash.model.map.land_mask import load_land_mask
    from issdash.model.orbit import _skyfield

    timescale, ephemeris = _skyfield()
    t = timescale.tt_jd(2460000.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for body in ("sun", "moon"):
            (ephemeris[body] - ephemeris["earth"]).at(t)
    load_land_mask()
    # pycountry reads its country table on first lookup (the crew's flags and nations).
    import pycountry

    pycountry.countries.get(alpha_2="US")
    # Rich's table of character widths, read at the first text measured (~0.5 MB of objects).
    from rich._unicode_data import load as load_cell_table

    load_cell_table()
    with contextlib.suppress(Exception):  # an unusable configuration is each session's to say
        load_settings()


def serve_requests(sock: socket.socket) -> Spawn | None:
    """Fork a child per request until the serve process goes away (returns None); in a
    child, returns what that child must run."""
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ, "request")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    own = (sock, wake_r, wake_w)
    while True:
        for key, _ in selector.select():
            if key.data == "child":
                with contextlib.suppress(BlockingIOError):
                    while wake_r.recv(4096):
                        pass
                _reap(sock)
                continue
            try:
                data, ancillary, _flags, _ = sock.recvmsg(
                    MAX_MESSAGE, socket.CMSG_SPACE(FDS_PER_SPAWN * array.array("i").itemsize)
                )
            except InterruptedError:
                continue
            except OSError:
                return None
            fds = _received_fds(ancillary)
            if not data:
                for fd in fds:
                    os.close(fd)
                return None
            spawn = _fork(sock, json.loads(data), fds, own)
            if spawn is not None:
                selector.close()
                return spawn


def _received_fds(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % fds.itemsize
            fds.frombytes(payload[:usable])
    return list(fds)


def _fork(
    sock: socket.socket, request: dict[str, Any], fds: list[int], own: tuple[socket.socket, ...]
) -> Spawn | None:
    ident = request.get("id")
    ready: tuple[int, int] | None = None
    try:
        if len(fds) != FDS_PER_SPAWN:
            raise ValueError(f"{len(fds)} descriptors, not {FDS_PER_SPAWN}")
        spawn = Spawn(
            args=[str(a) for a in request["args"]],
            env={str(k): str(v) for k, v in request["env"].items()},
            cwd=str(request["cwd"]),
        )
        ready = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
    except Exception as exc:
        # Nothing of a failed spawn stays open in a parent that lives as long as the server
        # (a fork refused under load would otherwise leak its ready pipe each time).
        for fd in (*fds, *(ready or ())):
            os.close(fd)
        _send(sock, {"id": ident, "error": f"{type(exc).__name__}: {exc}"})
        return None
    assert ready is not None  # set before the fork, which succeeded
    ready_r, ready_w = ready
    if pid == 0:
        _become_session(fds, ready_r, ready_w, own)
        return spawn
    # Here only the child keeps the session's pipes: no later child can inherit them.
    for fd in fds:
        os.close(fd)
    os.close(ready_w)
    # The child closes its end once it leads its own session: from then on its process
    # group is its pid, which is what the serve process signals to end it.
    with contextlib.suppress(OSError):
        os.read(ready_r, 1)
    os.close(ready_r)
    _send(sock, {"id": ident, "pid": pid})
    return None


def _become_session(
    fds: list[int], ready_r: int, ready_w: int, own: tuple[socket.socket, ...]
) -> None:
    """In the child, first thing: its own session, its own pipes as 0, 1 and 2, nothing of
    the zygote's plumbing, signals as a fresh interpreter has them."""
    os.setsid()
    os.close(ready_r)
    os.close(ready_w)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sock in own:
        sock.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(json.dumps(message).encode())


def run_session(spawn: Spawn) -> int:
    """In a forked child: the dashboard, as `python -m issdash ARGS` would run it."""
    os.chdir(spawn.cwd)
    os.environ.clear()
    os.environ.update(spawn.env)
    # Textual reads its settings (the driver, colours, frame rate) from the environment when
    # imported: read them again from the session's.
    import textual.constants

    importlib.reload(textual.constants)
    sys.argv = ["issdash", *spawn.args]
    from issdash.commands.cli import main as cli_main

    return cli_main(spawn.args)


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[0]))
    session_args = argv[1:]
    # Ctrl+C in the serve process's terminal reaches this process too: the serve process
    # decides; this one ends when its socket closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()
    warm(session_args)
    # No collection before freezing: the garbage it would free leaves holes in the heap's
    # pages that the children's first allocations fill, copying those pages (Python's docs
    # on gc.freeze); what garbage there is stays, shared.
    gc.freeze()
    gc.enable()
    try:
        spawn = serve_requests(sock)
    except Exception:
        traceback.print_exc()
        return 1
    if spawn is None:
        return 0
    try:
        return run_session(spawn)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
