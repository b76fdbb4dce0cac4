"""`issdash serve` as a browser meets it: who may connect, how many, and sessions that end.

Real `issdash serve` processes on loopback ports, real websocket clients (aiohttp), and the
dashboard processes found through /proc.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time

import aiohttp
import pytest

from scripts.fixtures.serve_harness import (
    abort,
    dashboards_of,
    first_frame,
    open_session,
    running_serve,
    wait_until,
)

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


DEMO = ("--demo",)


async def get_page(port: int) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}/") as page,
    ):
        return page.status, await page.text()


async def test_foreign_origin_is_refused_and_starts_nothing() -> None:
    with running_serve(*DEMO) as (port, proc):
        for origin in ("http://evil.example", f"http://evil.example:{port}", ""):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await open_session(port, origin=origin)
            assert refused.value.status == 403, origin
        assert dashboards_of(proc.pid) == []
        # The dashboard's own page is let in, and draws.
        session, ws = await open_session(port)
        try:
            text = await first_frame(ws, "Crew aboard", 60)
            assert "Crew aboard" in text
        finally:
            await ws.close()
            await session.close()


async def test_a_trusted_origin_is_let_in() -> None:
    env = {"ISSDASH_SERVE__TRUSTED_ORIGINS": '["https://wall.example.org"]'}
    with running_serve(*DEMO, env=env) as (port, _proc):
        session, ws = await open_session(port, origin="https://wall.example.org")
        try:
            assert "Crew aboard" in await first_frame(ws, "Crew aboard", 60)
        finally:
            await ws.close()
            await session.close()


async def test_past_the_cap_a_busy_page_and_no_process() -> None:
    env = {"ISSDASH_SERVE__MAX_SESSIONS": "2"}
    with running_serve(*DEMO, env=env) as (port, proc):
        opened = [await open_session(port) for _ in range(2)]
        try:
            status, body = await get_page(port)
            assert status == 503
            assert "busy" in body and "try again later" in body
            with pytest.raises(aiohttp.WSServerHandshakeError) as busy:
                await open_session(port)
            assert busy.value.status == 503
            assert wait_until(lambda: len(dashboards_of(proc.pid)) == 2, 20)
            time.sleep(1)
            assert len(dashboards_of(proc.pid)) == 2
        finally:
            for session, ws in opened:
                await ws.close()
                await session.close()
        # A session freed is a session available again.
        assert wait_until(lambda: dashboards_of(proc.pid) == [], 10)
        assert (await get_page(port))[0] == 200


async def test_fifty_sessions_dropped_abruptly_leave_no_process() -> None:
    rng = random.Random(16)

    async def open_when_free(
        port: int,
    ) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
        # The cap counts sessions still being ended: wait for a free place as a browser would.
        for _ in range(60):
            try:
                return await open_session(port)
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 503
                await asyncio.sleep(0.5)
        raise AssertionError("no session place freed in 30 s")

    # Each session's fate drawn up front, as the five rounds of ten drew them: some leave at
    # once (an aborted page load), some mid start-up, some later.
    delays_s = [rng.choice([0.0, 0.05, 0.5, 1.5, 3.0]) for _ in range(50)]
    # Ten browsers at a time (the cap), each opening its next session as soon as it dropped
    # one: five rounds that each waited for their slowest drop took twice as long.
    browsers = [delays_s[i::10] for i in range(10)]

    async def browse(port: int, delays: list[float]) -> None:
        for delay in delays:
            session, ws = await open_when_free(port)
            await asyncio.sleep(delay)
            abort(session, ws)
            await session.close()

    with running_serve(*DEMO) as (port, proc):
        await asyncio.gather(*(browse(port, delays) for delays in browsers))
        # Reaped within seconds (the reaper's own period); the deadline is for a loaded machine.
        assert wait_until(lambda: dashboards_of(proc.pid) == [], 60), dashboards_of(proc.pid)
        assert proc.poll() is None  # the server itself is still serving


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
async def test_sessions_end_when_the_server_does(how: str) -> None:
    with running_serve(*DEMO) as (port, proc):
        opened = [await open_session(port) for _ in range(3)]
        try:
            for _, ws in opened:
                await first_frame(ws, "Crew aboard", 60)
            assert len(dashboards_of(proc.pid)) == 3
            os.kill(proc.pid, getattr(signal, how))
            proc.wait(timeout=60)
            # SIGKILL: nobody reaps; each dashboard must notice its pipes closed and go.
            assert wait_until(lambda: dashboards_of(proc.pid) == [], 60), how
        finally:
            for session, _ in opened:
                await session.close()


async def test_a_browser_that_goes_silent_is_noticed_and_its_process_ends() -> None:
    """A dropped network: the connection stays open but nothing answers the server's pings."""
    with running_serve(*DEMO) as (port, proc):
        async with aiohttp.ClientSession() as client:
            ws = await client.ws_connect(
                f"http://127.0.0.1:{port}/ws?width=100&height=30",
                headers={"Origin": f"http://127.0.0.1:{port}"},
                autoping=False,  # pings go unanswered, as from a browser that is gone
            )
            assert wait_until(lambda: len(dashboards_of(proc.pid)) == 1, 20)
            # Heartbeat (4 s, then 2 s for the pong) and then at most the reaping (6 s): about
            # 12 s; the deadline is generous for a loaded machine.
            assert wait_until(lambda: dashboards_of(proc.pid) == [], 60)
            await ws.close()
