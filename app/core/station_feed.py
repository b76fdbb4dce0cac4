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
            self._publish(
                FeedFailure(FEED, status.error or "disconnected", status.at, status.retry_in_s)
            )

    async def run(self) -> None:
        await self.source.run(self.on_updates, self.on_status)

    async def gather(self, timeout_s: float, settle_s: float = 1.0) -> bool:
        """Run until the snapshot has arrived (nothing new for `settle_s` after the first
        batch) or `timeout_s` passes; True if anything arrived. A stream that said nothing
        at all is reported as a failure, as a poll without an answer is."""
        if isinstance(self.source, TelemetryReplay):
            # A replay knows at once what had arrived by now (read in batches, so what is
            # held is one batch, however large the recording); a one-off answer needs the
            # current values, not the hour of history the dashboard's sparklines draw.
            now = self._clock.now()
            for batch in self.source.due_batches(now, TelemetryReplay.CURRENT_LOOKBACK):
                self.on_updates(batch)
            return self.batches > 0
        task = asyncio.create_task(self.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        seen, quiet_since = 0, loop.time()
        try:
            while loop.time() < deadline and not task.done():
                await asyncio.sleep(0.1)
                if self.batches != seen:
                    seen, quiet_since = self.batches, loop.time()
                elif seen and loop.time() - quiet_since >= settle_s:
                    break
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if not self.batches:
            self._publish(
                FeedFailure(FEED, f"no telemetry within {timeout_s:g} s", self._clock.now(), None)
            )
        return self.batches > 0
