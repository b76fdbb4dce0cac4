"""Helpers for tests and benches of `issdash serve`: start it, open websocket sessions, find
its dashboard processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import aiohttp

from scripts.browser_check import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
_MARKERS: dict[int, str] = {}


@contextmanager
def running_serve(
    *flags: str, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`issdash serve` on a free loopback port, stopped (and its children reaped) after."""
    port = port or free_port()
    # Inherited by every dashboard the server starts (its environment is passed on): how
    # they are found, whatever started them.
    marker = uuid.uuid4().hex
    full_env = {**os.environ, **(env or {}), "SERVED_BY_ISSDASH": marker}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *flags],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _MARKERS[proc.pid] = marker
    try:
        wait_for_port(port, 30)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        kill_dashboards(proc.pid)


def dashboards_of(server_pid: int) -> list[int]:
    """Dashboard processes started by this serve process, alive or orphaned (they run in
    their own sessions, so they are found by the marker in their environment)."""
    # Started here: the marker given; otherwise the server marks them with its own pid.
    marker = f"SERVED_BY_ISSDASH={_MARKERS.get(server_pid, server_pid)}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == server_pid:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if marker in environ.split(b"\0") and stat.rsplit(")", 1)[1].split()[0] != "Z":
            found.append(int(entry.name))
    return found


def kill_dashboards(server_pid: int) -> None:
    for pid in dashboards_of(server_pid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_until(predicate: object, timeout_s: float) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return bool(predicate())


async def open_session(
    port: int, origin: str | None = None, width: int = 120, height: int = 40
) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    session = aiohttp.ClientSession()
    headers = {"Origin": origin if origin is not None else f"http://127.0.0.1:{port}"}
    try:
        ws = await session.ws_connect(
            f"http://127.0.0.1:{port}/ws?width={width}&height={height}", headers=headers
        )
    except BaseException:
        await session.close()
        raise
    return session, ws


async def first_frame(ws: aiohttp.ClientWebSocketResponse, expect: str, timeout_s: float) -> str:
    """Read the session's output until `expect` appears in it; returns what was read."""
    seen: list[str] = []
    async with asyncio.timeout(timeout_s):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                seen.append(message.data.decode("utf-8", "replace"))
                if expect in "".join(seen[-50:]):
                    break
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
    return "".join(seen)


def abort(session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
    """Drop the connection without a close frame, as a vanished browser does."""
    response = ws._response
    connection = response.connection if response is not None else None
    if connection is not None and connection.transport is not None:
        connection.transport.abort()
