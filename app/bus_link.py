"""A dashboard's side of the answer bus (feeds.bus): answers come from the collector instead
of its own pollers, and are parsed here with the same adapters a poller uses.

The runtime starts this instead of its pollers when `settings.bus` is set (`issdash serve`
sets it for its sessions). No Textual here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from feeds.bus import LoopbackSubscriber
from feeds.poller import FeedFailure, FeedUpdate, parse_off_loop
from feeds.recording import Entry
from feeds.sources import FeedError, RawResponse

if TYPE_CHECKING:
    from app.runtime import Runtime

log = logging.getLogger(__name__)


async def apply_entry(runtime: Runtime, entry: Entry) -> None:
    """Publish one answer from the bus as if this dashboard had polled it: parsed by the
    feed's adapter, dated by when the collector received it."""
    from app.runtime import ADAPTERS

    name = entry.feed
    if name not in ADAPTERS or not runtime.settings.feeds.get(name).enabled:
        return
    interval_s = runtime.settings.feeds.get(name).interval_s
    if entry.error is not None or entry.body is None:
        runtime.store.publish(
            FeedFailure(name, entry.error or "no answer", entry.received_at, interval_s)
        )
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


def start_link(runtime: Runtime, address: str) -> asyncio.Task[None]:
    """The task that feeds the runtime from the bus at `address`."""
    from app.settings import FEED_NAMES

    link_state: dict[str, str | None] = {"down": None}

    async def on_entry(entry: Entry) -> None:
        await apply_entry(runtime, entry)

    def on_link(reason: str | None) -> None:
        # Said once per change, not on every reconnect attempt.
        if reason == link_state["down"]:
            return
        link_state["down"] = reason
        notice = "answers from the collector again" if reason is None else f"bus: {reason}"
        runtime.store.update(lambda s: s.with_notice(notice))

    subscriber = LoopbackSubscriber(address, FEED_NAMES, on_entry, on_link)
    return asyncio.create_task(subscriber.run(), name="bus-link")
