"""A Lightstreamer (TLCP 2.x) server on 127.0.0.1 for tests, with faults on demand.

It speaks as much of the protocol as Lightstreamer's own Python client needs over WebSocket
(`/lightstreamer`, subprotocol `TLCP-2.x.0.lightstreamer.com`): `wsok` → `WSOK`,
`create_session` → `CONOK` (or `CONERR` for a refused adapter set), `control` with
`LS_op=add` → `REQOK` then `SUBOK` and a MERGE snapshot as `U` lines, `heartbeat` → nothing,
`bind_session` (a recovery attempt) → `CONERR` so the client starts a fresh session, and
`PROBE` keep-alives while idle. Values are encoded as TLCP does: `#` null, `$` empty, and
`%XX` for the characters that would break a line (`|`, `,`, `%`, CR, LF, `#`/`$` at the
start).

Faults: `drop()` cuts every connection mid-stream; `refuse_adapter_set` answers `CONERR`;
`silent` accepts WebSockets and never answers; `send_raw()` writes arbitrary (garbage) lines;
`flood()` pushes many updates as fast as it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSMsgType, web

KEEPALIVE_MS = 1000


def encode_value(value: str | None) -> str:
    if value is None:
        return "#"
    if value == "":
        return "$"
    out = []
    for i, ch in enumerate(value):
        if ch in "|,%\r\n+" or (i == 0 and ch in "#$") or ord(ch) < 0x20:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class _Subscription:
    sub_id: int
    items: list[str]
    fields: list[str]
    # Items already sent: the first update of an item must carry every field (null if
    # unknown), later ones may leave unchanged fields empty.
    sent: set[str] = field(default_factory=set)


@dataclass
class _Session:
    ws: web.WebSocketResponse
    session_id: str
    subscriptions: list[_Subscription] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LSServer:
    """Start with `async with LSServer() as server:`; `server.url` is what the client needs."""

    def __init__(self, adapter_set: str = "ISSLIVE") -> None:
        self.adapter_set = adapter_set
        self.refuse_adapter_set = False
        self.silent = False
        self.snapshot: dict[str, dict[str, str | None]] = {}
        self.sessions: list[_Session] = []
        self.sessions_created = 0
        self.subscribed = asyncio.Event()
        self.requests: list[str] = []
        self._runner: web.AppRunner | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self.port = 0
        self._closing = asyncio.Event()
        self._open: set[web.WebSocketResponse] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> LSServer:
        app = web.Application()
        app.router.add_get("/lightstreamer", self._ws)
        app.router.add_post("/lightstreamer/{verb}", self._http)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", getattr(self, "port_wanted", 0))
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._keepalive_task = asyncio.create_task(self._keepalives())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._keepalive_task:
            self._keepalive_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive_task
        self._closing.set()
        await self.drop()
        for ws in list(self._open):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner:
            await self._runner.cleanup()

    # ---- what tests call -------------------------------------------------------------------

    async def push(self, item: str, fields: Mapping[str, str | None]) -> None:
        """Update `item` (merged into the snapshot) and send it to every subscriber."""
        merged = self.snapshot.setdefault(item, {})
        merged.update(fields)
        for session in list(self.sessions):
            for sub in session.subscriptions:
                if item in sub.items:
                    await self._send(session, self._update_line(sub, item, fields))

    async def send_raw(self, line: str) -> None:
        for session in list(self.sessions):
            await self._send(session, line)

    async def flood(self, item: str, count: int, value_of: int = 0) -> None:
        """`count` updates of `item` back to back, in batches (one frame per 50 lines)."""
        for session in list(self.sessions):
            for sub in session.subscriptions:
                if item not in sub.items:
                    continue
                batch: list[str] = []
                for n in range(count):
                    fields = {"Value": str(value_of + n), "TimeStamp": None}
                    self.snapshot.setdefault(item, {}).update(fields)
                    batch.append(self._update_line(sub, item, {"Value": str(value_of + n)}))
                    if len(batch) == 50:
                        await self._send(session, "\r\n".join(batch))
                        batch = []
                if batch:
                    await self._send(session, "\r\n".join(batch))

    async def drop(self) -> None:
        """Cut every connection, as a network failure mid-stream would."""
        sessions, self.sessions = self.sessions, []
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.ws.close()

    # ---- the protocol ----------------------------------------------------------------------

    def _update_line(self, sub: _Subscription, item: str, fields: Mapping[str, str | None]) -> str:
        index = sub.items.index(item) + 1
        if item not in sub.sent:
            sub.sent.add(item)
            fields = {f: self.snapshot.get(item, {}).get(f) for f in sub.fields} | dict(fields)
        values = [encode_value(fields[f]) if f in fields else "" for f in sub.fields]
        return f"U,{sub.sub_id},{index},{'|'.join(values)}"

    async def _send(self, session: _Session, text: str) -> None:
        async with session.lock:
            with contextlib.suppress(Exception):
                await session.ws.send_str(text + "\r\n")

    async def _keepalives(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_MS / 1000)
            for session in list(self.sessions):
                await self._send(session, "PROBE")

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("TLCP-2.5.0.lightstreamer.com",))
        await ws.prepare(request)
        self._open.add(ws)
        session: _Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            if self.silent:
                continue
            lines = [line for line in msg.data.split("\r\n") if line]
            if not lines:
                continue
            verb, bodies = lines[0], lines[1:]
            self.requests.append(verb)
            if verb == "wsok":
                await ws.send_str("WSOK\r\n")
            elif verb == "create_session":
                params = dict(parse_qsl(bodies[0] if bodies else ""))
                if self.refuse_adapter_set or params.get("LS_adapter_set") != self.adapter_set:
                    await ws.send_str("CONERR,2,Requested Adapter Set not available\r\n")
                    await ws.close()
                    break
                self.sessions_created += 1
                session = _Session(ws, f"S{self.sessions_created}")
                self.sessions.append(session)
                await self._send(
                    session,
                    f"CONOK,{session.session_id},50000,{KEEPALIVE_MS},*\r\n"
                    "SERVNAME,issdash test server\r\nCLIENTIP,127.0.0.1\r\nCONS,unlimited",
                )
            elif verb == "bind_session":
                # No session recovery here: the client must start a new session.
                await ws.send_str("CONERR,4,Session not found\r\n")
                await ws.close()
                break
            elif verb == "control" and session is not None:
                for body in bodies:
                    await self._control(session, dict(parse_qsl(body)))
            # heartbeat, msg and anything else: nothing to answer.
        if session in self.sessions:
            self.sessions.remove(session)
        self._open.discard(ws)
        return ws

    async def _http(self, request: web.Request) -> web.Response:
        """HTTP requests: only session recovery comes this way, and it is refused."""
        self.requests.append("http:" + request.match_info["verb"])
        if self.silent:
            await self._closing.wait()
        return web.Response(text="CONERR,4,Session not found\r\n", content_type="text/plain")

    async def _control(self, session: _Session, params: dict[str, str]) -> None:
        req_id = params.get("LS_reqId", "0")
        op = params.get("LS_op")
        if op == "add":
            sub = _Subscription(
                int(params["LS_subId"]),
                params.get("LS_group", "").split(" "),
                params.get("LS_schema", "").split(" "),
            )
            session.subscriptions.append(sub)
            await self._send(session, f"REQOK,{req_id}")
            await self._send(session, f"SUBOK,{sub.sub_id},{len(sub.items)},{len(sub.fields)}")
            for item in sub.items:
                if item in self.snapshot:
                    await self._send(session, self._update_line(sub, item, self.snapshot[item]))
            self.subscribed.set()
        elif op == "delete":
            await self._send(session, f"REQOK,{req_id}")
            sub_id = int(params.get("LS_subId", "0"))
            session.subscriptions = [s for s in session.subscriptions if s.sub_id != sub_id]
            await self._send(session, f"UNSUB,{sub_id}")
        else:
            await self._send(session, f"REQOK,{req_id}")


@contextlib.contextmanager
def serving_in_a_thread(
    pushes: Sequence[tuple[str, Mapping[str, str]]],
) -> Iterator[str]:
    """An LSServer in a thread of its own (for code that runs its own event loop, as
    `issdash status` does) holding these updates as its snapshot; yields its URL."""
    ready = threading.Event()
    stop = threading.Event()
    holder: dict[str, str] = {}

    async def run() -> None:
        async with LSServer() as server:
            holder["url"] = server.url
            for item, fields in pushes:
                await server.push(item, dict(fields))
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    assert ready.wait(10), "the Lightstreamer-protocol server did not start"
    try:
        yield holder["url"]
    finally:
        stop.set()
        thread.join(10)


def telemetry_only(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Settings for a process whose only feed is the telemetry stream, at `url`."""
    monkeypatch.setenv("ISSDASH_FEEDS__TELEMETRY__ENABLED", "true")
    monkeypatch.setenv("ISSDASH_FEEDS__TELEMETRY__URL", url)
    from issdash.feeds.registry import FEED_NAMES

    for feed in FEED_NAMES:
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed.upper()}__ENABLED", "false")


async def _stream_forever(port: int) -> None:
    """`python -m tests.support.lsserver [PORT]`: a server streaming made-up values once a second,
    with 30 s of loss of signal every 2 minutes, for looking at the dashboard by hand."""
    import math
    from datetime import UTC, datetime

    server = LSServer()
    server.port_wanted = port  # type: ignore[attr-defined]
    async with server:
        print(f"Lightstreamer test server on {server.url}", flush=True)
        n = 0
        while True:
            now = datetime.now(UTC)
            hours = (now - datetime(now.year - 1, 12, 31, tzinfo=UTC)).total_seconds() / 3600
            ts = f"{hours:.8f}"
            los = (n % 120) >= 90
            await server.push(
                "TIME_000001",
                {"Value": ts, "TimeStamp": ts, "Status.Class": "0" if los else "24"},
            )
            if not los:
                yaw = math.radians(10 * math.sin(n / 60))
                q = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
                for item, value in zip(
                    ("USLAB000018", "USLAB000019", "USLAB000020", "USLAB000021"), q, strict=True
                ):
                    await server.push(item, {"Value": f"{value:.9f}", "TimeStamp": ts})
                values = {
                    "USLAB000010": 30 + 20 * math.sin(n / 40),
                    "USLAB000040": -40.2,
                    "USLAB000058": 743 + math.sin(n / 30),
                    "USLAB000053": 165 + math.sin(n / 50),
                    "USLAB000055": 2.5 + 0.2 * math.sin(n / 20),
                    "NODE3000009": 55 - n / 100 % 10,
                    "NODE3000005": 35,
                    "S0000004": (4 * n / 60) % 360,
                    "S0000003": (180 + 4 * n / 60) % 360,
                }
                for item, value in values.items():
                    await server.push(item, {"Value": f"{value:.4f}", "TimeStamp": ts})
            n += 1
            await asyncio.sleep(1)


if __name__ == "__main__":
    import sys

    asyncio.run(_stream_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 8089))
