"""A dashboard's side of the answer bus (issdash.feeds.bus): answers come from the collector instead
of its own pollers, and are parsed here with the same adapters a poller uses.

The runtime starts this instead of its pollers when `settings.bus` is set (`issdash serve`
sets it for its sessions). No Textual here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from issdash.config.settings import ALL_FEEDS, FEED_NAMES, STREAM_NAMES, Settings
from issdash.core.feed_parsers import ADAPTERS, STREAMED
from issdash.core.station_feed import StationFeed
from issdash.feeds.bus import LoopbackSubscriber
from issdash.feeds.bus_redis import RedisMember, is_redis_address
from issdash.feeds.clock import Clock
from issdash.feeds.poller import FeedFailure, FeedUpdate, parse_off_loop
from issdash.feeds.recording import Entry, EntrySink
from issdash.feeds.registry import BY_NAME
from issdash.feeds.sources import FeedError, RawResponse, body_size_problem
from issdash.feeds.telemetry_stream import OnStatus, OnUpdates, TelemetryUpdate
from issdash.model.state import MissionState, StateStore

log = logging.getLogger(__name__)


class LinkedRuntime(Protocol):
    """What the link uses of the runtime (issdash.core.runtime.Runtime, which starts the link):
    described here, so that this module does not import the runtime back."""

    settings: Settings
    clock: Clock
    store: StateStore
    recorder: EntrySink | None
    bus_member: RedisMember | None

    def note_answer(self, name: str, received_at: datetime) -> None: ...

    def start_pollers(self) -> None: ...

    async def stop_pollers(self) -> None: ...


class _NoStream:
    """A session's station model is fed from the bus, not from a stream of its own."""

    async def run(self, on_updates: OnUpdates, on_status: OnStatus) -> None:
        return None


class TelemetryInput:
    """Streamed updates from the bus into a station model of this dashboard's own, a batch at
    a time (the collector's stream sends many small updates; one copy of the model is
    published per batch, not per update)."""

    BATCH_S = 0.25

    def __init__(self, runtime: LinkedRuntime) -> None:
        self.feed = StationFeed(lambda _: _NoStream(), runtime.clock, runtime.store.publish)
        self._pending: list[TelemetryUpdate] = []
        self._flush: asyncio.TimerHandle | None = None

    def add(self, entry: Entry) -> None:
        assert entry.item is not None
        self._pending.append(TelemetryUpdate(entry.item, entry.fields or {}, entry.received_at))
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(self.BATCH_S, self.flush)

    def flush(self) -> None:
        self._flush = None
        batch, self._pending = self._pending, []
        self.feed.on_updates(batch)


async def apply_entry(
    runtime: LinkedRuntime, entry: Entry, telemetry: TelemetryInput | None = None
) -> None:
    """Publish one answer from the bus as if this dashboard had polled it: parsed by the
    feed's adapter, dated by when the collector received it."""
    name = entry.feed
    if name in STREAMED:
        if (
            entry.item is not None
            and telemetry is not None
            and runtime.settings.feeds.get(name).enabled
        ):
            telemetry.add(entry)
        return
    if name not in ADAPTERS or not runtime.settings.feeds.get(name).enabled:
        return
    interval_s = runtime.settings.feeds.get(name).interval_s
    if entry.error is not None or entry.body is None:
        runtime.store.publish(
            FeedFailure(name, entry.error or "no answer", entry.received_at, interval_s)
        )
        return
    if (too_large := body_size_problem(entry.body, BY_NAME[name].max_body_bytes)) is not None:
        # The feed's cap holds on the bus as on every way in: a collector of another version
        # (or anything else on the bus) cannot hand this dashboard more than it would fetch.
        runtime.store.publish(FeedFailure(name, too_large, entry.received_at, interval_s))
        return
    raw = RawResponse(
        entry.url, entry.status or 200, entry.content_type, entry.body, entry.received_at
    )
    try:
        value = await parse_off_loop(ADAPTERS[name], raw, runtime.clock.now())
    except FeedError as exc:
        runtime.store.publish(FeedFailure(name, exc.reason, runtime.clock.now(), interval_s))
        return
    except Exception as exc:  # an adapter bug must become health, not a dead link
        log.exception("unexpected error parsing %s from the bus", name)
        reason = f"internal error: {type(exc).__name__}"
        runtime.store.publish(FeedFailure(name, reason, runtime.clock.now(), interval_s))
        return
    runtime.store.publish(FeedUpdate(name, value, entry.received_at))


NOTICE_PREFIX = "bus: "


def _say(runtime: LinkedRuntime, notice: str | None) -> None:
    """Replace the bus notice on screen (None: clear it)."""

    def update(state: MissionState) -> MissionState:
        kept = tuple(n for n in state.notices if not n.startswith(NOTICE_PREFIX))
        if kept != state.notices:
            state = replace(state, notices=kept, version=state.version + 1)
        return state.with_notice(NOTICE_PREFIX + notice) if notice else state

    runtime.store.update(update)


SKIPPED_PREFIX = "bus skipped: "
LEASE_PREFIX = "bus lease: "


def _replace_notice(runtime: LinkedRuntime, prefix: str, notice: str) -> None:
    """Put `notice` on screen in place of the last one with the same prefix."""

    def update(state: MissionState) -> MissionState:
        kept = tuple(n for n in state.notices if not n.startswith(prefix))
        if kept != state.notices:
            state = replace(state, notices=kept, version=state.version + 1)
        return state.with_notice(prefix + notice)

    runtime.store.update(update)


class _NotingSink:
    """The sink the runtime's own pollers write to under a Redis bus: each answer they get is
    noted like one from the bus, so a poller restarted (or started again on taking the lease)
    waits until its last answer is an interval old instead of asking again at once."""

    def __init__(self, runtime: LinkedRuntime, inner: EntrySink) -> None:
        self._runtime = runtime
        self._inner = inner

    def write(self, entry: Entry) -> object:
        if entry.error is None and entry.item is None:
            self._runtime.note_answer(entry.feed, entry.received_at)
        return self._inner.write(entry)


def start_link(runtime: LinkedRuntime, address: str) -> asyncio.Task[None]:
    """The task that feeds the runtime from the bus at `address`: the loopback collector of
    `issdash serve`, or Redis (issdash.feeds.bus_redis). Every message that is not an answer
    (any shape, too large, dated from the future) is skipped, counted and said."""
    link_state: dict[str, str | None] = {"down": None}
    telemetry = TelemetryInput(runtime)
    skipped = [0]

    async def on_entry(entry: Entry) -> None:
        if entry.error is None and entry.item is None:
            runtime.note_answer(entry.feed, entry.received_at)
        await apply_entry(runtime, entry, telemetry)

    def on_link(reason: str | None) -> None:
        # Said once per change, not on every reconnect attempt.
        if reason == link_state["down"]:
            return
        link_state["down"] = reason
        _say(runtime, reason)

    def on_skip(reason: str) -> None:
        skipped[0] += 1
        _replace_notice(runtime, SKIPPED_PREFIX, f"{skipped[0]} (last: {reason})")

    def on_note(note: str) -> None:
        _replace_notice(runtime, LEASE_PREFIX, note)

    if is_redis_address(address):
        enabled = [
            runtime.settings.feeds.get(n).interval_s
            for n in FEED_NAMES
            if runtime.settings.feeds.get(n).enabled
        ]

        def lead(sink: EntrySink) -> None:
            runtime.recorder = _NotingSink(runtime, sink)
            runtime.start_pollers()

        member = RedisMember(
            address,
            ALL_FEEDS,
            streamed=STREAM_NAMES,
            # Another dashboard takes over within two intervals of the fastest feed.
            lease_s=max(2.0, 1.5 * min(enabled, default=5.0)),
            on_entry=on_entry,
            on_link=on_link,
            lead=lead,
            follow=runtime.stop_pollers,
            on_skip=on_skip,
            on_note=on_note,
            clock=runtime.clock,
        )
        runtime.bus_member = member
        # The member stops the pollers it started when its run ends, however it ends.
        return asyncio.create_task(member.run(), name="bus-link")
    subscriber = LoopbackSubscriber(
        address, ALL_FEEDS, on_entry, on_link, on_skip=on_skip, clock=runtime.clock
    )
    return asyncio.create_task(subscriber.run(), name="bus-link")
