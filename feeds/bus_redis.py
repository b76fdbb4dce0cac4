"""The distributed answer bus on Redis, for kiosk fleets and several serve hosts.

Every dashboard pointed at the same Redis (`ISSDASH_BUS=redis://HOST:6379/0`) takes part:

- The latest good answer of each feed is kept in a key (`issdash:latest:<feed>`), so a
  dashboard that starts later has everything at once; each new answer (or failure) is also
  published on a channel (`issdash:answers`) for those already running.
- A lease (`SET issdash:lease <id> NX PX <ms>`, renewed by its holder every third of its
  length) makes exactly one dashboard the poller. If it dies its lease runs out and another
  takes it: within `lease_s` plus a renewal tick, at most two intervals of the fastest feed.
- Redis unreachable: each dashboard says so (`on_link`) and polls the upstreams itself
  (`lead(None)`), still with its rate gates and without asking again what the last shared
  answers already hold; it tries Redis again with backoff and returns to the bus when it can.

The dashboard's side (what "poll" and "stop polling" mean) is given as callbacks, so this
module knows nothing of the runtime. The `redis` package's asyncio client is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

from issdash.feeds.bus import OnEntry, OnLink, decode, encode
from issdash.feeds.recording import Entry, EntrySink

log = logging.getLogger(__name__)

PREFIX = "issdash"
CHANNEL = f"{PREFIX}:answers"
LEASE_KEY = f"{PREFIX}:lease"
RETRY_MAX_S = 30.0
# Renew only a lease we still hold: a holder that stalled past its lease must not extend the
# lease a successor has taken meanwhile.
RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def latest_key(feed: str) -> str:
    return f"{PREFIX}:latest:{feed}"


def is_redis_address(address: str | None) -> bool:
    return urlparse(address or "").scheme in ("redis", "rediss")


def shown_address(address: str) -> str:
    """The address without any password, for the screen and the log."""
    parsed = urlparse(address)
    return f"{parsed.hostname}:{parsed.port or 6379}"


class RedisSink:
    """Where the poller's answers go while this dashboard holds the lease."""

    def __init__(self, client: Any, member: str) -> None:
        self._client = client
        self._member = member
        self._pending: set[asyncio.Task[None]] = set()

    def write(self, entry: Entry) -> None:
        task = asyncio.get_running_loop().create_task(self._send(entry))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, entry: Entry) -> None:
        line = encode(entry).decode("utf-8")
        message = json.dumps({"from": self._member, "entry": line})
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                if entry.error is None and entry.item is not None:
                    # A streamed feed: the latest update of every item.
                    pipe.hset(latest_key(entry.feed), entry.item, line)
                elif entry.error is None:
                    pipe.set(latest_key(entry.feed), line)
                pipe.publish(CHANNEL, message)
                await pipe.execute()
        except Exception as exc:  # Redis going away is noticed (and said) by the member loop
            log.warning("answer not shared on Redis: %s", exc)


class RedisMember:
    """One dashboard's part in a Redis bus, for as long as `run()` is awaited.

    `lead(sink)` starts this dashboard's own pollers, writing every answer to `sink` (None:
    Redis is away, poll for ourselves only); `follow()` stops them.
    """

    def __init__(
        self,
        address: str,
        feeds: Iterable[str],
        *,
        streamed: Iterable[str] = (),
        lease_s: float,
        on_entry: OnEntry,
        on_link: OnLink,
        lead: Callable[[EntrySink | None], None],
        follow: Callable[[], Any],
    ) -> None:
        self.address = address
        self.streamed = tuple(streamed)
        self.polled = tuple(f for f in feeds if f not in self.streamed)
        self.feeds = self.polled + self.streamed
        self.lease_s = lease_s
        self.member = secrets.token_hex(8)
        self._on_entry = on_entry
        self._on_link = on_link
        self._lead = lead
        self._follow = follow
        self.leading = False
        self.fallback = False

    async def run(self) -> None:
        import redis.asyncio as redis

        wait_s = 1.0
        while True:
            client: Any = redis.from_url(
                self.address, socket_connect_timeout=2.0, socket_timeout=max(2.0, self.lease_s)
            )
            try:
                await client.ping()
                wait_s = 1.0
                await self._member_of(client)
            except (redis.RedisError, OSError) as exc:
                await self._lost(f"Redis at {shown_address(self.address)} unreachable ({exc})")
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, RETRY_MAX_S)

    async def _lost(self, reason: str) -> None:
        short = reason if len(reason) < 120 else reason[:119] + "…"
        log.warning("%s; polling upstream directly", short)
        self._on_link(f"{short.split(' (')[0]}: polling upstream directly")
        if self.leading:
            await self._stop_leading()
        if not self.fallback:
            self.fallback = True
            self._lead(None)

    async def _stop_leading(self) -> None:
        self.leading = False
        result = self._follow()
        if asyncio.iscoroutine(result):
            await result

    async def _member_of(self, client: Any) -> None:
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        try:
            if self.fallback:
                self.fallback = False
                await self._stop_leading()
            self._on_link(None)
            # What was shared before we came: the latest answer of every feed.
            values = [await client.get(latest_key(f)) for f in self.polled]
            for feed in self.streamed:
                values.extend((await client.hgetall(latest_key(feed))).values())
            for value in values:
                if value:
                    entry = decode(value, self.feeds)
                    if entry is not None:
                        await self._on_entry(entry)
            renew = client.register_script(RENEW_SCRIPT)
            lease_ms = int(self.lease_s * 1000)
            tick_s = self.lease_s / 3
            loop = asyncio.get_running_loop()
            while True:
                if self.leading:
                    if not await renew(keys=[LEASE_KEY], args=[self.member, lease_ms]):
                        log.warning("lost the Redis lease; another dashboard polls now")
                        await self._stop_leading()
                elif await client.set(LEASE_KEY, self.member, nx=True, px=lease_ms):
                    log.info("took the Redis lease: this dashboard polls upstream")
                    self.leading = True
                    self._lead(RedisSink(client, self.member))
                until = loop.time() + tick_s
                while (left := until - loop.time()) > 0:
                    message = await pubsub.get_message(timeout=left)
                    if message is not None:
                        await self._message(message)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _message(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        try:
            data = json.loads(message["data"])
            sender, line = data["from"], data["entry"]
        except (ValueError, KeyError, TypeError):
            return
        if sender == self.member:
            return  # our own answer: already in our state
        entry = decode(line.encode("utf-8"), self.feeds)
        if entry is not None:
            await self._on_entry(entry)
