"""`issdash record`: poll the live feeds on their normal schedules and write every answer to a
recording that `issdash --demo PATH` can replay."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from issdash.commands.exits import LocalInputError, print_clean, say
from issdash.config.settings import ALL_FEEDS, Settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import Clock, SystemClock
from issdash.feeds.recording import RecordingWriter


def only_feeds(settings: Settings, feeds: list[str]) -> Settings:
    copy = settings.feeds.model_copy(deep=True)
    for name in ALL_FEEDS:
        copy.get(name).enabled = name in feeds
    return settings.model_copy(update={"feeds": copy})


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What a recording run produced; `lines()` says it, `exit_status` for the CLI."""

    path: Path
    feeds: tuple[str, ...]
    good: int
    errors: int
    stopped: str | None  # why it stopped early (a local write error, the size cap)
    local_error: bool
    note: str | None

    def lines(self) -> list[str]:
        total = self.good + self.errors
        lines = [
            f"recorded {total} answers ({self.good} good, {self.errors} errors)"
            f" from {', '.join(self.feeds)} to {self.path}"
        ]
        if self.stopped:
            lines.append(f"stopped early: {self.stopped}; the file is complete up to then")
        if self.note:
            lines.append(self.note)
        if self.good == 0:
            lines.append(
                "warning: nothing good was recorded (every answer was an error):"
                " check the network and the feed URLs"
            )
        return lines

    @property
    def exit_status(self) -> int:
        """README "Exit statuses": 2 for a local write error, 3 when nothing good came."""
        if self.local_error:
            return 2
        return 3 if self.good == 0 else 0


async def record(
    settings: Settings,
    out: Path,
    duration_s: float | None,
    feeds: list[str] | None,
    description: str = "",
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    max_bytes: int | None = None,
) -> RecordSummary:
    """Record until `duration_s` passes, `stop` is set, Ctrl+C / SIGTERM, the size cap or a
    local write error; always leaves a valid, complete file. Raises `RecordingWriteError`
    before starting when OUT cannot be written (missing folder, in use)."""
    clock = clock or SystemClock()
    chosen = feeds or [n for n in ALL_FEEDS if settings.feeds.get(n).enabled]
    writer = RecordingWriter(
        out,
        chosen,
        clock.now(),
        description or f"issdash recording of {', '.join(chosen)}",
        max_bytes=max_bytes,
    )
    runtime = Runtime(only_feeds(settings, chosen), clock, mode="live")
    runtime.recorder = writer
    stop = stop or asyncio.Event()
    writer.on_stop = lambda _reason: stop.set()
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
    return RecordSummary(
        path=path,
        feeds=tuple(chosen),
        good=writer.good,
        errors=writer.errors,
        stopped=writer.stopped,
        local_error=writer.local_error,
        note=writer.compressed_note,
    )


def record_command(args: argparse.Namespace, settings: Settings) -> int:
    """`issdash record OUT`: the feeds asked for (`--feeds`, else all enabled) until the
    duration or size cap; the summary on stdout, warnings and why it stopped on stderr."""
    from issdash.config.errors import did_you_mean
    from issdash.feeds.recording import RecordingWriteError

    feeds = [f.strip() for f in args.feeds.split(",")] if args.feeds else None
    unknown = [f for f in feeds or [] if f not in ALL_FEEDS]
    if unknown:
        raise LocalInputError(
            f"record --feeds: unknown feed(s): {', '.join(unknown)};"
            f" {did_you_mean(unknown[0], ALL_FEEDS)}valid: {', '.join(ALL_FEEDS)}"
        )
    logging.basicConfig(level=logging.WARNING)
    try:
        summary = asyncio.run(
            record(
                settings,
                args.out,
                args.duration,
                feeds,
                args.description,
                max_bytes=args.max_size,
            )
        )
    except RecordingWriteError as exc:
        raise LocalInputError(str(exc)) from None
    for line in summary.lines():
        (say if line.startswith(("warning", "stopped")) else print_clean)(line)
    return summary.exit_status
