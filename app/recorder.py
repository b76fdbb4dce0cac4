"""`issdash record`: poll the live feeds on their normal schedules and write every answer to a
recording that `issdash --demo PATH` can replay."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from app.runtime import ADAPTERS, STREAMED, Runtime
from app.settings import ALL_FEEDS, Settings
from feeds.clock import Clock, SystemClock
from feeds.recording import RecordingWriter


def only_feeds(settings: Settings, feeds: list[str]) -> Settings:
    copy = settings.feeds.model_copy(deep=True)
    for name in ALL_FEEDS:
        copy.get(name).enabled = name in feeds
    return settings.model_copy(update={"feeds": copy})


async def record(
    settings: Settings,
    out: Path,
    duration_s: float | None,
    feeds: list[str] | None,
    description: str = "",
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> str:
    """Record until `duration_s` passes, `stop` is set, or Ctrl+C / SIGTERM; always leaves a
    valid, complete file. Returns a one-line summary."""
    clock = clock or SystemClock()
    chosen = feeds or [
        n for n in ALL_FEEDS if (n in ADAPTERS or n in STREAMED) and settings.feeds.get(n).enabled
    ]
    runtime = Runtime(only_feeds(settings, chosen), clock, mode="live")
    writer = RecordingWriter(
        out,
        chosen,
        clock.now(),
        description or f"issdash recording of {', '.join(chosen)}",
    )
    runtime.recorder = writer
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        runtime.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=duration_s)
    finally:
        await runtime.stop()
        path = writer.close(clock.now())
        for sig in handled:
            loop.remove_signal_handler(sig)
    return f"recorded {writer.count} responses from {', '.join(chosen)} to {path}"
