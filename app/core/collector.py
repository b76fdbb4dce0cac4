"""The collector: one set of pollers for a whole deployment, publishing raw answers on the
answer bus (issdash.feeds.bus) for every dashboard to parse.

`issdash serve` hosts one (live feeds only; a replay is each session's own): it polls the
upstreams once, with the same cache and rate gates as a dashboard, and its sessions read the
answers over loopback instead of each polling every upstream. No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib

from issdash.config.settings import Settings
from issdash.core.runtime import Runtime
from issdash.feeds.bus import Hub, LoopbackBusServer
from issdash.feeds.clock import Clock, SystemClock
from issdash.feeds.recording import Entry


class Collector:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.hub = Hub()
        self.server = LoopbackBusServer(self.hub)
        # The collector itself polls: it must not look for a bus.
        self.runtime = Runtime(
            settings.model_copy(update={"bus": None}), clock or SystemClock(), mode="live"
        )
        self.runtime.recorder = self.hub
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return self.server.address

    def child_env(self) -> dict[str, str]:
        """What a session's process needs to read this collector."""
        return {"ISSDASH_BUS": self.address}

    async def start(self) -> None:
        await self.server.start()
        runtime = self.runtime
        await runtime.preload_cache()
        runtime.load_fallbacks()
        # The cached answers accepted at start are the latest answers until the first polls.
        for name in runtime.cached_feeds():
            raw = runtime.cache.load(name)
            if raw is not None:
                self.hub.write(
                    Entry(name, raw.url, raw.received_at, raw.status, raw.content_type, raw.body)
                )
        runtime.start()
        self._watchdog = asyncio.create_task(self._watch(), name="collector-watchdog")

    async def _watch(self) -> None:
        # As in a dashboard: a poller that stopped (a bug) is restarted, and said in the log.
        while True:
            await asyncio.sleep(self.runtime.settings.kiosk.watchdog_s)
            self.runtime.watchdog()

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await self.runtime.stop()
        await self.server.stop()
