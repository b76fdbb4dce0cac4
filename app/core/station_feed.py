"""The telemetry feed at work: a stream (live or replayed) into the station model, published
as feed events, and every update written to a recording when one is being made. No Textual."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable
from typing import Protocol

from issdash.feeds.clock import Clock
from issdash.feeds.isslive import FEED
from issdash.feeds.poller import FeedFailure, FeedUpdate, Publish
from issdash.feeds.recording import Entry, EntrySink
from issdash.feeds.telemetry_stream import (
    OnStatus,
    OnUpdates,
    StreamStatus,
    TelemetryReplay,
    TelemetryUpdate,
)
from issdash.model.station import StationModel


class TelemetrySource(Protocol):
    async def run(self, on_updates: OnUpdates, on_status: OnStatus) -> None: ...


class StationFeed:
    """Owns the model; publishes a copy after each batch (the state never shares a mutable
    model with the feed)."""

    def __init__(
        self,
        source_factory: Callable[[StationFeed], TelemetrySource],
        clock: Clock,
        publish: Publish,
        recorder: EntrySink | None = None,
    ) -> None:
        self.model = StationModel()
        self._clock = clock
        self._publish = publish
        self._recorder = recorder
        self.batches = 0
        # Why the stream failed, if it did, and a wake-up for a gather waiting on it.
        self._failure: str | None = None
        self._wake: asyncio.Event | None = None
        self.source = source_factory(self)

    def reset(self) -> None:
        """Forget everything (a replay went back in time)."""
        self.model = StationModel()

    def on_updates(self, batch: list[TelemetryUpdate]) -> None:
        if not batch:
            return
        for update in batch:
            if self._recorder is not None:
                self._recorder.write(
                    Entry(
                        FEED, "", update.received_at, None, item=update.item, fields=update.fields
                    )
                )
            self.model.apply_raw(update.item, update.fields, update.received_at)
        self.batches += 1
        received_at = max(u.received_at for u in batch)
        self._publish(FeedUpdate(FEED, copy.deepcopy(self.model), received_at))

    def on_status(self, status: StreamStatus) -> None:
        if not status.connected:
            self._failure = status.error or "disconnected"
            if self._wake is not None:
                self._wake.set()
            self._publish(
                FeedFailure(FEED, status.error or "disconnected", status.at, status.retry_in_s)
            )

    async def run(self) -> None:
        await self.source.run(self.on_updates, self.on_status)

    def on_attempt_failed(self, reason: str) -> None:
        """The stream could not open a session (it will try again): nothing is published, as
        the dashboard waits through the client's retries; a one-off gather stops waiting."""
        self._failure = reason
        if self._wake is not None:
            self._wake.set()

    async def gather(self, timeout_s: float, settle_s: float = 1.0) -> bool:
        """Run until the snapshot has arrived (nothing new for `settle_s` after the first
        batch), the stream has failed before anything arrived (a refused connection, a
        refused adapter set), or `timeout_s` passes; True if anything arrived. A stream that
        said nothing at all is reported as a failure, as a poll without an answer is, and with
        the stream's reason when it gave one."""
        if isinstance(self.source, TelemetryReplay):
            # A replay knows at once what had arrived by now (read in batches, so what is
            # held is one batch, however large the recording); a one-off answer needs the
            # current values, not the hour of history the dashboard's sparklines draw.
            now = self._clock.now()
            for batch in self.source.due_batches(now, TelemetryReplay.CURRENT_LOOKBACK):
                self.on_updates(batch)
            return self.batches > 0
        self._failure = None
        self._wake = wake = asyncio.Event()
        task = asyncio.create_task(self.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        seen, quiet_since = 0, loop.time()
        try:
            while not task.done():
                now_s = loop.time()
                if now_s >= deadline:
                    break
                if self.batches != seen:
                    seen, quiet_since = self.batches, now_s
                elif seen and now_s - quiet_since >= settle_s:
                    break
                elif not seen and self._failure is not None:
                    # Failed for this round: the client's next attempt comes after its own
                    # retry delay, and waiting for it was most of an offline `status`.
                    break
                # Woken at once by a failure; the settling is checked every tenth of a second.
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(0.1, deadline - now_s)):
                        await wake.wait()
        finally:
            self._wake = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not self.batches:
            reason = self._failure or f"no telemetry within {timeout_s:g} s"
            self._publish(FeedFailure(FEED, reason, self._clock.now(), None))
        return self.batches > 0
