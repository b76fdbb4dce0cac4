"""The `telemetry` feed: ISSLIVE over Lightstreamer, live or replayed, delivered into asyncio.

Live, Lightstreamer's own client (`lightstreamer-client-lib`) runs the session on its own
threads (WebSocket streaming, falling back as it sees fit, with its own session recovery).
No client exists while the server cannot be reached: an attempt is then our own TCP connect,
at a growing delay, and a client is made only for a server that accepts one (a failed
attempt of the client's drops it again). Its callbacks never touch our state: they put the
newest fields of each item into a dict under a lock and, if no wake-up is pending, schedule
one on our loop with `call_soon_threadsafe`. The loop drains the dict at most
`max_batches_per_s` times a second, so a flood of hundreds of updates a second costs a
handful of batches, each item coalesced to its latest value (MERGE semantics: the client
already merges unchanged fields, so the latest fields are complete). A server error (a
refused adapter set) ends the client's own retries; we then reconnect with our own exponential
back-off.

Replayed, recorded updates are fed in time order through the same delivery, so the model sees
a replay exactly as it saw the live stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from issdash.feeds.clock import Clock
from issdash.feeds.isslive import DEFAULT_ADAPTER_SET, DEFAULT_SERVER, FEED, FIELDS, ITEMS
from issdash.feeds.recording import Entry
from issdash.feeds.text import clean_text

log = logging.getLogger(__name__)

Fields = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class TelemetryUpdate:
    """One item's fields as received (strings, untrusted: validate before use)."""

    item: str
    fields: Fields
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """The connection changed: `connected` or not, and why not (None: no error)."""

    connected: bool
    at: datetime
    error: str | None = None
    retry_in_s: float | None = None


OnUpdates = Callable[[list[TelemetryUpdate]], None]
OnStatus = Callable[[StreamStatus], None]
# An attempt to open a session failed before any session existed (refused, not a server,
# no answer within the client's own connect timeouts); the client will try again later.
OnAttemptFailed = Callable[[str], None]
# What that says (the client does not tell why: a refusal, a name that does not resolve and
# an HTTP error all end an attempt the same way).
CANNOT_CONNECT = "cannot connect to the server"
# Our attempts at an unreachable server start `retry_delay_ms` apart and grow to this (as
# Lightstreamer's own client's do).
MAX_RETRY_DELAY_S = 60.0


class Coalescer:
    """Thread-safe hand-over from the client's threads to our loop: latest fields per item."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._pending: dict[str, Fields] = {}
        self._wake = asyncio.Event()
        self._scheduled = False
        self.received = 0

    def put(self, item: str, fields: Fields) -> None:
        """Called from any thread; never blocks on the loop."""
        with self._lock:
            self.received += 1
            self._pending[item] = fields
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop closed under us: nothing to wake
            self._loop.call_soon_threadsafe(self._wake.set)

    async def take(self) -> dict[str, Fields]:
        await self._wake.wait()
        self._wake.clear()
        with self._lock:
            batch, self._pending = self._pending, {}
            self._scheduled = False
        return batch


@dataclass(frozen=True, slots=True)
class StreamSettings:
    server: str = DEFAULT_SERVER
    adapter_set: str = DEFAULT_ADAPTER_SET
    items: Sequence[str] = ITEMS
    # Asked of the server per item (ISSLIVE items tick at most about once a second).
    max_frequency_hz: float = 2.0
    # How often our loop takes a batch: bounds the work a flood can cause.
    max_batches_per_s: float = 10.0
    # No session within this long: say so (the client keeps trying).
    connect_timeout_s: float = 15.0
    # Our own back-off after a server error, doubling up to the cap.
    backoff_first_s: float = 5.0
    backoff_max_s: float = 300.0
    # Lightstreamer's own minimum delay between attempts, and how long a silent stream may
    # last before it is dropped (keep-alives are expected in between).
    retry_delay_ms: int = 4000
    stalled_timeout_ms: int = 2000
    reconnect_timeout_ms: int = 3000


class LightstreamerTelemetry:
    """Runs one Lightstreamer session until cancelled, delivering batches and status."""

    def __init__(
        self,
        settings: StreamSettings,
        clock: Clock,
        on_attempt_failed: OnAttemptFailed | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        # Told apart from `on_status`: the dashboard keeps waiting through failed attempts
        # (the client retries), while a one-off `status` knows this round is over.
        self._on_attempt_failed = on_attempt_failed
        self.connected = False

    async def run(self, on_updates: OnUpdates, on_status: OnStatus) -> None:
        # While the server cannot be reached, no client exists: each attempt is one TCP
        # connect of our own, and only a server that accepts one gets a Lightstreamer client
        # (its library starts three threads when first imported, and a client left to retry
        # an unreachable server kept them busy on an idle dashboard).
        first_delay_s = self.settings.retry_delay_ms / 1000.0
        delay_s = first_delay_s
        while True:
            if await self._reachable():
                if await self._session(on_updates, on_status):
                    delay_s = first_delay_s
            elif self._on_attempt_failed is not None:
                self._on_attempt_failed(CANNOT_CONNECT)
            await self._pause(delay_s, on_status)
            delay_s = min(delay_s * 2, max(first_delay_s, MAX_RETRY_DELAY_S))

    async def _pause(self, delay_s: float, on_status: OnStatus) -> None:
        """The wait before the next attempt. A stream that has said nothing for
        `connect_timeout_s` while not connected reports it (as a session's wait does)."""
        quiet_s = self.settings.connect_timeout_s
        while delay_s > quiet_s:
            await asyncio.sleep(quiet_s)
            delay_s -= quiet_s
            on_status(StreamStatus(False, self._clock.now(), "no answer from the server"))
        await asyncio.sleep(delay_s)

    async def _reachable(self) -> bool:
        """Whether the server's host accepts a TCP connection now (closed at once)."""
        target = urlsplit(self.settings.server)
        try:
            port = target.port or (443 if target.scheme in ("https", "wss") else 80)
        except ValueError:  # a port that is not a number: the client would fail too
            return False
        if not target.hostname:
            return False
        try:
            async with asyncio.timeout(self.settings.connect_timeout_s):
                _, writer = await asyncio.open_connection(target.hostname, port)
        except (OSError, TimeoutError, UnicodeError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def _session(self, on_updates: OnUpdates, on_status: OnStatus) -> bool:
        """One client, until an attempt of it fails while not connected (then it is
        disconnected and dropped: the next attempt is `run`'s). True if it connected."""
        # Imported here: the library starts its I/O thread when imported, which replay and
        # `status --at` never need.
        from lightstreamer.client import (
            ClientListener,
            LightstreamerClient,
            Subscription,
            SubscriptionListener,
        )

        loop = asyncio.get_running_loop()
        coalescer = Coalescer(loop)
        events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        settings = self.settings

        def to_loop(kind: str, text: str) -> None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(events.put_nowait, (kind, text))

        class _Client(ClientListener):  # type: ignore[misc]
            def onStatusChange(self, status: str) -> None:
                to_loop("status", str(status))

            def onServerError(self, code: int, message: str) -> None:
                to_loop("error", f"server error {code}: {message}")

        class _Items(SubscriptionListener):  # type: ignore[misc]
            def onItemUpdate(self, update: Any) -> None:
                try:
                    name = update.getItemName()
                    fields = {str(k): v for k, v in update.getFields().items() if k in FIELDS}
                except Exception:  # a broken update must not kill the client's thread
                    log.exception("telemetry: unreadable update")
                    return
                coalescer.put(str(name), fields)

            def onSubscriptionError(self, code: int, message: str) -> None:
                to_loop("error", f"subscription refused {code}: {message}")

        client = LightstreamerClient(settings.server, settings.adapter_set)
        options = client.connectionOptions
        options.setRetryDelay(settings.retry_delay_ms)
        options.setStalledTimeout(settings.stalled_timeout_ms)
        options.setReconnectTimeout(settings.reconnect_timeout_ms)
        client.addListener(_Client())
        subscription = Subscription("MERGE", list(settings.items), list(FIELDS))
        subscription.setRequestedSnapshot("yes")
        subscription.setRequestedMaxFrequency(str(settings.max_frequency_hz))
        subscription.addListener(_Items())
        client.subscribe(subscription)

        async def deliver() -> None:
            gap_s = 1.0 / settings.max_batches_per_s
            while True:
                batch = await coalescer.take()
                now = self._clock.now()
                on_updates([TelemetryUpdate(i, f, now) for i, f in batch.items()])
                await asyncio.sleep(gap_s)

        was_connected = False

        async def watch() -> None:
            nonlocal was_connected
            backoff_s = settings.backoff_first_s
            while True:
                # asyncio.timeout, not wait_for: on 3.11 wait_for returns the item when a
                # cancel and an event from the client's thread arrive together, the cancel is
                # lost, and this loop outlived its stream (`status` hung at exit, one run in two
                # under a faked clock).
                try:
                    async with asyncio.timeout(
                        None if self.connected else settings.connect_timeout_s
                    ):
                        kind, text = await events.get()
                except TimeoutError:
                    on_status(StreamStatus(False, self._clock.now(), "no answer from the server"))
                    continue
                now = self._clock.now()
                if kind == "status":
                    if text.startswith("CONNECTED:") and text != "CONNECTED:STREAM-SENSING":
                        self.connected = was_connected = True
                        backoff_s = settings.backoff_first_s
                        on_status(StreamStatus(True, now))
                    elif text.startswith("DISCONNECTED") and self.connected:
                        self.connected = False
                        on_status(StreamStatus(False, now, "connection lost, reconnecting"))
                    elif text == "DISCONNECTED:WILL-RETRY":
                        # Not connected: this attempt failed (at once when refused). The
                        # next one is ours, without this client.
                        if self._on_attempt_failed is not None:
                            self._on_attempt_failed(CANNOT_CONNECT)
                        return
                else:
                    # The client gives up after a server error: try again later ourselves.
                    self.connected = False
                    on_status(StreamStatus(False, now, clean_text(text, 80), backoff_s))
                    await asyncio.sleep(backoff_s)
                    backoff_s = min(backoff_s * 2, settings.backoff_max_s)
                    client.connect()

        client.connect()
        tasks = [asyncio.create_task(deliver()), asyncio.create_task(watch())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done():
                    task.result()  # a loop's failure is the stream's
        finally:
            for task in tasks:
                task.cancel()
            # Neither loop outlives the stream: wait for them to end (they do at once).
            await asyncio.wait(tasks, timeout=1.0)
            client.unsubscribe(subscription)
            client.disconnect()
            self.connected = False
        return was_connected


class TelemetryWindow(Protocol):
    """Where a replay reads recorded updates a window at a time (a `Recording`)."""

    def updates(
        self, feed: str, after: datetime | None, until: datetime, lookback: timedelta
    ) -> Iterator[Entry]: ...


class _InMemory:
    """A list of entries as a window source: from scratch, everything up to the time."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = sorted(entries, key=lambda e: e.received_at)

    def updates(
        self, feed: str, after: datetime | None, until: datetime, lookback: timedelta
    ) -> Iterator[Entry]:
        key: Callable[[Entry], datetime] = lambda e: e.received_at  # noqa: E731
        start = 0 if after is None else bisect_right(self._entries, after, key=key)
        end = bisect_right(self._entries, until, key=key)
        return iter(self._entries[start:end])


class TelemetryReplay:
    """Recorded updates delivered in time order as mission time reaches them, through the
    same callbacks as the live stream. If the clock goes back (a replay restarted or jumped),
    `on_reset` is called and the replay starts again from scratch at the new time.

    From a recording the updates are read a window at a time, never held whole: from scratch
    (the start, or after a jump back) the replay delivers what a stream gives a client that
    connects `LOOKBACK` before the time (the latest value of every item, a MERGE snapshot),
    then every update after it, in batches of at most `BATCH` updates.
    """

    # The station model's sparklines span an hour (issdash.model.station.HISTORY_SPAN).
    LOOKBACK = timedelta(hours=1, minutes=5)
    # What the current values need (a one-off answer, `status`): the latest of each item and
    # the signal, which is fresh for 10-20 s; no hour of history.
    CURRENT_LOOKBACK = timedelta(minutes=2)
    BATCH = 2000

    def __init__(
        self,
        entries: Sequence[Entry] | TelemetryWindow,
        clock: Clock,
        tick_s: float = 0.25,
        on_reset: Callable[[], None] | None = None,
    ) -> None:
        self._source: TelemetryWindow = (
            _InMemory(entries) if isinstance(entries, Sequence) else entries
        )
        self._clock = clock
        self._tick_s = tick_s
        self._on_reset = on_reset
        self._last: datetime | None = None

    def due(self, now: datetime) -> list[TelemetryUpdate]:
        """Updates received up to `now` not delivered yet (after a reset if time went back)."""
        return [update for batch in self.due_batches(now) for update in batch]

    def due_batches(
        self, now: datetime, lookback: timedelta | None = None
    ) -> Iterator[list[TelemetryUpdate]]:
        """`due(now)` in batches of at most `BATCH`, read as they are taken; from scratch,
        from `lookback` (default `LOOKBACK`) before `now`."""
        if self._last is not None and now < self._last:
            self._last = None
            if self._on_reset is not None:
                self._on_reset()
        after, self._last = self._last, now
        batch: list[TelemetryUpdate] = []
        for e in self._source.updates(FEED, after, now, lookback or self.LOOKBACK):
            if e.item is None:
                continue
            batch.append(TelemetryUpdate(e.item, dict(e.fields or {}), e.received_at))
            if len(batch) >= self.BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    async def run(self, on_updates: OnUpdates, on_status: OnStatus) -> None:
        connected = False
        while True:
            for batch in self.due_batches(self._clock.now()):
                if not connected:
                    connected = True
                    on_status(StreamStatus(True, batch[0].received_at))
                on_updates(batch)
            # Real-time ticks: at any replay speed at most a few batches a second.
            await asyncio.sleep(self._tick_s)
