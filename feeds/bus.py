"""The answer bus: one collector polls the upstreams, many dashboards read its answers.

What travels is what a recording holds (issdash.feeds.recording.Entry: the raw response or the
failure, with the time it was received), so every dashboard parses answers with the same
adapters as if it had fetched them, and an answer's age stays true however late a dashboard
joins. This module is the protocol-neutral part and the embedded engine; issdash.feeds.bus_redis is
the distributed one.

The embedded engine: the process that hosts the collector (`issdash serve`) keeps the latest
answer of every feed in a `Hub` and serves it on a loopback TCP port (`LoopbackBusServer`).
A dashboard reads it with `LoopbackSubscriber`: on connecting it gets the latest answer of
every feed, then each new one as it comes, one JSON line per answer. The address carries a
random token, checked before anything is sent, so another local user cannot read or pose as
the bus. Address form: `issdash://TOKEN@127.0.0.1:PORT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlparse

from issdash.feeds.bus_wire import MAX_LINE_BYTES, Skips, decode
from issdash.feeds.clock import Clock
from issdash.feeds.recording import Entry, EntrySink

__all__ = ["EntrySink", "Hub", "LoopbackBusServer", "LoopbackSubscriber"]

log = logging.getLogger(__name__)

SCHEME = "issdash"
# A reader that falls this many answers behind is dropped (it reconnects and gets the latest
# answers again): the collector never waits for a slow dashboard.
QUEUE_LIMIT = 256
RECONNECT_MAX_S = 10.0


OnEntry = Callable[[Entry], Awaitable[None]]
OnLink = Callable[[str | None], None]
# Told the reason each time a message is skipped (it is counted in the reader's `skips`).
OnSkip = Callable[[str], None]


def encode(entry: Entry) -> bytes:
    return (json.dumps(entry.to_json(), ensure_ascii=False) + "\n").encode("utf-8")


class Hub:
    """The latest answer of every feed, and the readers waiting for the next ones."""

    def __init__(self) -> None:
        # Per feed: the latest good answer and the latest failure (a failure newer than the
        # good answer is what a new reader must see too, or it would call the feed healthy).
        # Streamed feeds (telemetry) keep the latest update of every item.
        self.latest_ok: dict[tuple[str, str], Entry] = {}
        self.latest_error: dict[str, Entry] = {}
        self._readers: set[asyncio.Queue[Entry | None]] = set()
        self.published = 0

    def write(self, entry: Entry) -> None:
        """Keep and pass on one answer (an `EntrySink`)."""
        self.published += 1
        if entry.error is None:
            self.latest_ok[(entry.feed, entry.item or "")] = entry
            self.latest_error.pop(entry.feed, None)
        else:
            self.latest_error[entry.feed] = entry
        for queue in list(self._readers):
            try:
                queue.put_nowait(entry)
            except asyncio.QueueFull:
                log.warning("bus: a reader fell behind; dropping it (it will reconnect)")
                self._readers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)

    def snapshot(self) -> list[Entry]:
        """What a reader joining now is told first, oldest first."""
        entries = list(self.latest_ok.values()) + list(self.latest_error.values())
        return sorted(entries, key=lambda e: e.received_at)

    def reader(self) -> asyncio.Queue[Entry | None]:
        queue: asyncio.Queue[Entry | None] = asyncio.Queue(QUEUE_LIMIT)
        self._readers.add(queue)
        return queue

    def drop(self, queue: asyncio.Queue[Entry | None]) -> None:
        self._readers.discard(queue)

    @property
    def readers(self) -> int:
        return len(self._readers)


class LoopbackBusServer:
    """Serves a `Hub` on 127.0.0.1 to readers that know the token."""

    def __init__(self, hub: Hub, host: str = "127.0.0.1") -> None:
        self.hub = hub
        self.host = host
        self.token = secrets.token_urlsafe(24)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        return f"{SCHEME}://{self.token}@{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        queue: asyncio.Queue[Entry | None] | None = None
        try:
            async with asyncio.timeout(5):
                offered = (await reader.readline()).strip()
            if not hmac.compare_digest(offered, self.token.encode()):
                return
            queue = self.hub.reader()
            for entry in self.hub.snapshot():
                writer.write(encode(entry))
            await writer.drain()
            while True:
                latest = await queue.get()
                if latest is None:
                    return  # fell behind: dropped
                writer.write(encode(latest))
                await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            return
        except asyncio.CancelledError:
            # Our own stop() (serve's SIGTERM): a normal end. Left to propagate, Python 3.11's
            # start_server callback asks the cancelled task for its exception and logs a
            # CancelledError traceback per reader.
            return
        finally:
            if queue is not None:
                self.hub.drop(queue)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._handlers.discard(task)


class LoopbackSubscriber:
    """Reads a loopback bus for as long as `run()` is awaited, reconnecting when it drops.

    `on_entry` gets every answer; `on_link` gets None when connected and a short reason when
    not (for a notice on screen); `on_skip` the reason for every line that is not an answer
    (counted in `skips`). With a `clock`, answers dated from the future are skipped too.
    """

    def __init__(
        self,
        address: str,
        feeds: Iterable[str],
        on_entry: OnEntry,
        on_link: OnLink,
        on_skip: OnSkip | None = None,
        clock: Clock | None = None,
    ) -> None:
        parsed = urlparse(address)
        if parsed.scheme != SCHEME or not parsed.hostname or not parsed.port:
            raise ValueError(f"not a bus address: {parsed.scheme}://{parsed.hostname}")
        self._host = parsed.hostname
        self._port = parsed.port
        self._token = (parsed.username or "").encode()
        self._feeds = tuple(feeds)
        self._on_entry = on_entry
        self._on_link = on_link
        self._on_skip = on_skip
        self._clock = clock
        self.skips = Skips()

    @property
    def received(self) -> int:
        return self.skips.taken

    async def run(self) -> None:
        wait_s = 0.5
        while True:
            try:
                await self._session()
                reason = "the collector closed the connection"
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                reason = f"collector unreachable ({exc.__class__.__name__})"
            self._on_link(reason)
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, RECONNECT_MAX_S)

    async def _session(self) -> None:
        reader, writer = await asyncio.open_connection(self._host, self._port, limit=MAX_LINE_BYTES)
        try:
            writer.write(self._token + b"\n")
            await writer.drain()
            self._on_link(None)
            while True:
                try:
                    line = await reader.readline()
                except ValueError:
                    # Over the cap: the stream drops what it buffered and reads on.
                    self._skip(f"a line over the {MAX_LINE_BYTES / 1e6:.0f} MB cap")
                    continue
                if not line:
                    return
                now = self._clock.now() if self._clock is not None else None
                entry = decode(line, self._feeds, now)
                if isinstance(entry, str):
                    self._skip(entry)
                    continue
                self.skips.taken += 1
                await self._on_entry(entry)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _skip(self, reason: str) -> None:
        self.skips.add(reason)
        log.warning("bus: a message skipped: %s", reason)
        if self._on_skip is not None:
            self._on_skip(reason)
