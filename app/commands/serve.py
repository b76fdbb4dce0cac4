"""`issdash serve`: the dashboard in web browsers, through textual-serve, with limits.

Each browser session runs its own dashboard process with the flags given here, forked from
one warm parent that has already imported and loaded what every session needs
(issdash.commands.zygote; `serve.fork = false`, or the parent gone: a plain process start).
Around textual-serve's server this adds what a served dashboard needs:

- Only the dashboard's own page may open a session: the websocket's `Origin` must be the
  address it is served on (or one of `serve.trusted_origins`), else 403. Without this any web
  page a user visits could open the dashboard through their browser.
- At most `serve.max_sessions` sessions at once; the next browser gets a "busy" page (503)
  and no process.
- A session's process ends when its websocket does: it is asked to quit, then terminated,
  then killed (its whole process group), within `REAP_S` seconds. The websocket pings every
  few seconds, so a browser that vanished without closing (network dropped) is noticed too.
  On SIGTERM the server ends every session the same way before it exits.
- With a collector (the default for live feeds), the server itself polls the upstreams once
  and every session reads the answers from it (issdash.feeds.bus), instead of each polling them.

Binding to 127.0.0.1 (the default) keeps it on this machine: anyone who can reach the port
can start a dashboard process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from issdash.commands.zygote_client import Zygote, ZygoteGone
from issdash.tui.session_driver import DRIVER_PATH

if TYPE_CHECKING:
    from issdash.config.settings import Settings
    from issdash.core.collector import Collector

log = logging.getLogger(__name__)

# Seconds from a websocket closing to its dashboard process being gone: asked to quit, then
# SIGTERM, then SIGKILL, each after a share of this.
REAP_S = 6.0
# Websocket ping interval: a browser whose network dropped is noticed within about 1.5x this.
HEARTBEAT_S = 4.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

BUSY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>issdash: busy</title>
<meta http-equiv="refresh" content="30"></head>
<body style="font-family: sans-serif; background: #111; color: #ddd; padding: 3em">
<h1>The dashboard is busy</h1>
<p>All {limit} sessions are in use. Please try again later; this page retries every 30 s.</p>
</body></html>
"""


class SessionService(AppService):
    """One dashboard process: started in its own process group (so it can be ended with
    everything it started), draining its output even after the browser left (a process
    blocked writing to a full pipe could never read the request to quit)."""

    def __init__(
        self, argv: list[str], env: dict[str, str], zygote: Zygote | None = None, **kwargs: Any
    ) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self._argv = argv
        self._extra_env = env
        self._zygote = zygote

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        environment.update(self._extra_env)
        environment["TEXTUAL_DRIVER"] = DRIVER_PATH
        # Which server started it: for finding a session's processes (tests, operators).
        environment.setdefault("SERVED_BY_ISSDASH", str(os.getpid()))
        if self._zygote is not None and not self._zygote.gone:
            try:
                # The flags after `python -m issdash`: the child runs that command's main.
                forked = await self._zygote.spawn(self._argv[3:], environment, os.getcwd())
            except ZygoteGone as exc:
                log.warning("session not forked (%s): starting it as a process", exc)
            else:
                # Duck-typed: what textual-serve and `end` use of an asyncio process.
                self._process = cast(asyncio.subprocess.Process, forked)
                self._stdin = forked.stdin
                return forked
        self._process = process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def on_data(self, payload: bytes) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await super().on_meta(data)

    async def end(self) -> None:
        """Make sure the process is gone: quit, then SIGTERM, then SIGKILL to its group."""
        process = self._process
        if process is None:
            return
        step_s = REAP_S / 3
        with contextlib.suppress(TimeoutError, ConnectionError, RuntimeError, OSError):
            async with asyncio.timeout(step_s):
                await self.stop()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), step_s)
        if process.stdin is not None:
            process.stdin.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


class SessionServer(Server):
    """textual-serve's server with an Origin check, a session cap and reaping."""

    def __init__(
        self,
        argv: list[str],
        host: str,
        port: int,
        *,
        max_sessions: int = 16,
        trusted_origins: tuple[str, ...] = (),
        collector: Collector | None = None,
        zygote: Zygote | None = None,
    ) -> None:
        super().__init__(" ".join(argv), host=host, port=port, title="issdash")
        self.argv = argv
        self.zygote = zygote
        self.max_sessions = max_sessions
        self.collector = collector
        self.sessions: set[SessionService] = set()
        self._pending = 0
        self.allowed_origins = allowed_origins(host, port, trusted_origins)
        self.any_host = host in ("0.0.0.0", "::", "")

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.on_shutdown.append(self._end_all)
        if self.zygote is not None:
            zygote = self.zygote

            async def stop_zygote(_: web.Application) -> None:
                zygote.close()

            app.on_cleanup.append(stop_zygote)
        if self.collector is not None:
            collector = self.collector

            async def start_collector(_: web.Application) -> None:
                await collector.start()

            async def stop_collector(_: web.Application) -> None:
                await collector.stop()

            app.on_startup.append(start_collector)
            app.on_cleanup.append(stop_collector)
        return app

    def _full(self) -> bool:
        return len(self.sessions) + self._pending >= self.max_sessions

    def _busy(self) -> web.Response:
        return web.Response(
            status=503,
            text=BUSY_PAGE.format(limit=self.max_sessions),
            content_type="text/html",
            headers={"Retry-After": "30"},
        )

    async def handle_index(self, request: web.Request) -> Any:
        if self._full():
            return self._busy()
        page: Callable[[web.Request], Awaitable[Any]] = super().handle_index
        return await page(request)

    def origin_allowed(self, request: web.Request) -> bool:
        origin = (request.headers.get("Origin") or "").strip().lower().rstrip("/")
        if not origin:
            return False
        if origin in self.allowed_origins:
            return True
        # Bound to every address, the address it is served on is whatever the browser used:
        # the Host it asked for.
        return self.any_host and origin in {f"http://{request.host}", f"https://{request.host}"}

    async def handle_websocket(  # type: ignore[override]  # a refusal is a plain response
        self, request: web.Request
    ) -> web.StreamResponse:
        if not self.origin_allowed(request):
            shown = html.escape((request.headers.get("Origin") or "none")[:80])
            log.warning("websocket from origin %s refused", shown)
            return web.Response(status=403, text=f"origin {shown} is not allowed\n")
        if self._full():
            return self._busy()
        self._pending += 1
        try:
            websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
            await websocket.prepare(request)
        except BaseException:
            self._pending -= 1
            raise
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        service = SessionService(
            self.argv,
            self.collector.child_env() if self.collector is not None else {},
            self.zygote,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self._pending -= 1
        self.sessions.add(service)
        try:
            await service.start(width, height)
            await self._relay(websocket, service)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("browser session failed")
        finally:
            # However the browser left (closed, vanished, never finished loading), the
            # process goes with it; shielded so a cancelled handler still reaps.
            await asyncio.shield(self._end(service))
            with contextlib.suppress(Exception):
                await websocket.close()
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, service: SessionService) -> None:
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = message.json()
            except ValueError:
                continue
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(
                    _int(data.get("width"), 80), _int(data.get("height"), 24)
                )
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def _end(self, service: SessionService) -> None:
        try:
            await service.end()
        finally:
            self.sessions.discard(service)

    async def _end_all(self, _: web.Application) -> None:
        await asyncio.gather(*(self._end(s) for s in list(self.sessions)))

    async def on_startup(self, app: web.Application) -> None:
        print(f"issdash serving on {self.public_url} (Ctrl+C to stop)", file=sys.stderr)


def allowed_origins(host: str, port: int, trusted: tuple[str, ...]) -> frozenset[str]:
    """The origins a session may come from: the served address (and its loopback aliases
    when bound to loopback) and the trusted ones."""
    hosts = {host}
    if host in LOOPBACK_HOSTS:
        hosts |= {"127.0.0.1", "localhost", "[::1]"}
    origins = set()
    for name in hosts:
        shown = f"[{name}]" if ":" in name and not name.startswith("[") else name
        for scheme, default in (("http", 80), ("https", 443)):
            origins.add(f"{scheme}://{shown}" if port == default else f"{scheme}://{shown}:{port}")
    for origin in trusted:
        parsed = urlparse(origin.strip().lower())
        if parsed.scheme and parsed.netloc:
            origins.add(f"{parsed.scheme}://{parsed.netloc}")
    return frozenset(origins)


def _int(value: object, default: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, 10), 1000)


def serve(
    host: str,
    port: int,
    dashboard_args: list[str],
    *,
    max_sessions: int = 16,
    trusted_origins: tuple[str, ...] = (),
    collector: Collector | None = None,
    fork: bool = True,
) -> None:
    argv = [sys.executable, "-m", "issdash", *dashboard_args]
    # Started first, from a clean interpreter: this process is about to run an event loop
    # and threads, and must never fork itself.
    zygote = Zygote.start(zygote_environment(), dashboard_args) if fork else None
    server = SessionServer(
        argv,
        host,
        port,
        max_sessions=max_sessions,
        trusted_origins=trusted_origins,
        collector=collector,
        zygote=zygote,
    )
    try:
        server.serve()
    finally:
        if zygote is not None:
            zygote.close()


def zygote_environment() -> dict[str, str]:
    """The warm parent's environment: a session's, less its size and bus address (sent with
    each request). Textual reads some of it when imported, and a forked session's
    /proc/PID/environ is its parent's (how tests and operators find the sessions)."""
    environment = dict(os.environ)
    environment.update(
        TEXTUAL_DRIVER=DRIVER_PATH,
        TEXTUAL_FPS="60",
        TEXTUAL_COLOR_SYSTEM="truecolor",
        TERM_PROGRAM="textual",
    )
    environment.setdefault("SERVED_BY_ISSDASH", str(os.getpid()))
    return environment


def serve_command(args: argparse.Namespace, dashboard_args: list[str], settings: Settings) -> int:
    """`issdash serve`: each browser session runs the dashboard with `dashboard_args` (the
    flags typed, less serve's own); live feeds are polled once here for all of them."""
    collector = None
    if args.demo is None and settings.bus is None:
        # Live feeds: polled once here, read by every session (issdash.core.collector).
        from issdash.core.collector import Collector

        collector = Collector(settings)
    serve(
        args.host,
        args.port,
        dashboard_args,
        max_sessions=settings.serve.max_sessions,
        trusted_origins=tuple(settings.serve.trusted_origins),
        collector=collector,
        fork=settings.serve.fork,
    )
    return 0
