"""The distributed answer bus on Redis, for kiosk fleets and several serve hosts.

Every dashboard pointed at the same Redis (`ISSDASH_BUS=redis://HOST:6379/0`) takes part:

- The latest good answer of each feed is kept in a key (`issdash:latest:<feed>`), so a
  dashboard that starts later has everything at once; each new answer (or failure) is also
  published on a channel (`issdash:answers`) for those already running.
- A lease (`SET issdash:lease <id> NX PX <ms>`, renewed by its holder every third of its
  length) makes exactly one dashboard the poller. If it dies its lease runs out and another
  takes it: within `lease_s` plus a renewal tick, at most two intervals of the fastest feed.
- A lease nobody renews (set with no expiry, or of another type, by anything) is taken over
  once it has gone unrenewed for `lease_s` (at once with no expiry), and that is said.
- A new leader republishes everything it holds (what it polled and what it was told), so a
  Redis that restarted empty has the whole state again at once for a dashboard joining later.
- Redis unusable (unreachable, or answering PING but refusing the rest: a read-only replica, a
  key of the wrong type): each dashboard says what failed (`on_link`) and polls the upstreams
  itself, still with its rate gates and without asking again what the last shared answers
  already hold; it tries Redis again with a back-off that grows with every failed cycle (a
  PING that works does not reset it) and returns to the bus when it can. Its pollers keep
  running through leader -> on its own -> leader; only another leader stops them.
- Whatever arrives (a message, a stored value) is data: checked (issdash.feeds.bus_wire),
  bounded before it is read (issdash.feeds.bus_redis_keys), skipped and counted if not an
  answer, never an exception. When `run()` ends, however it ends, the pollers it started stop.

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

from issdash.feeds.bus import Hub, OnEntry, OnLink, OnSkip, encode
from issdash.feeds.bus_redis_keys import (
    CHANNEL,
    LEASE_KEY,
    LEASE_VALUE_BYTES,
    latest_key,
    read_latest,
    refusal,
    refuses_writes,
)
from issdash.feeds.bus_wire import Skips, decode, decode_envelope
from issdash.feeds.clock import Clock
from issdash.feeds.recording import Entry, EntrySink

__all__ = ["CHANNEL", "LEASE_KEY", "RedisMember", "is_redis_address", "latest_key"]

log = logging.getLogger(__name__)

RETRY_MIN_S = 1.0
RETRY_MAX_S = 30.0
# A membership that lasted this many lease ticks worked: the next failure starts the back-off
# afresh. Anything shorter (PING answered, then a refusal) keeps it growing.
HEALTHY_TICKS = 3
# Renew only a lease we still hold: a holder that stalled past its lease must not extend the
# lease a successor has taken meanwhile.
# (A lease key of another type is not ours: no GET on it, which would be refused.)
RENEW_SCRIPT = """
local kind = redis.call('type', KEYS[1])['ok']
if kind == 'string' and redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# Take a stale lease only if it is still what was seen going stale (type, and value for a
# string), so two members taking over at once cannot both win.
TAKEOVER_SCRIPT = """
local kind = redis.call('type', KEYS[1])['ok']
if kind ~= ARGV[1] then return 0 end
if kind == 'string' and redis.call('getrange', KEYS[1], 0, tonumber(ARGV[4])) ~= ARGV[2] then
  return 0
end
redis.call('set', KEYS[1], ARGV[3], 'PX', ARGV[5])
return 1
"""
# A lease's projected expiry (time seen + PTTL) moves later only when it is renewed; less
# than this is the noise of a round trip.
RENEWED_SLACK_S = 0.05


class BusRefused(Exception):
    """Redis answered, but refused what the bus needs: `reason` says what, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_redis_address(address: str | None) -> bool:
    return urlparse(address or "").scheme in ("redis", "rediss")


def shown_address(address: str) -> str:
    """The address without any password, for the screen and the log."""
    parsed = urlparse(address)
    return f"{parsed.hostname}:{parsed.port or 6379}"


class _Relay:
    """The sink this member's pollers write to, for as long as they run: every answer is
    kept (to republish on taking the lease) and, while leading, shared on Redis. The pollers
    never change sink, so no change of role restarts them."""

    def __init__(self, member: RedisMember) -> None:
        self._member = member
        self._pending: set[asyncio.Task[None]] = set()

    def write(self, entry: Entry) -> None:
        self._member.held.write(entry)
        client = self._member.sharing
        if client is None:
            return
        task = asyncio.get_running_loop().create_task(self._member.share(client, [entry]))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


class _LeaseWatch:
    """Whether the lease someone else holds is being renewed: its projected expiry (time seen
    + PTTL) moves later at every renewal, and stays put (or is never: no expiry) otherwise."""

    def __init__(self) -> None:
        self.seen: tuple[str, bytes] | None = None
        self.expiry_s = 0.0
        self.unrenewed_since_s = 0.0

    def observe(self, kind: str, value: bytes, pttl_ms: int, now_s: float) -> float:
        """How long (s) the lease has gone unrenewed, as seen from here."""
        expiry_s = float("inf") if pttl_ms == -1 else now_s + pttl_ms / 1000
        if (kind, value) != self.seen or (
            expiry_s != float("inf") and expiry_s > self.expiry_s + RENEWED_SLACK_S
        ):
            self.seen = (kind, value)
            self.unrenewed_since_s = now_s
        self.expiry_s = expiry_s
        return now_s - self.unrenewed_since_s

    def forget(self) -> None:
        self.seen = None


def _end_if_cancelled() -> None:
    """Raise CancelledError if this task was cancelled but the cancel was swallowed.

    Redis' client reads under a timeout of its own; a cancel that lands as that timeout fires
    comes back as "no message" (or as an error of its own) on Python 3.11, and the link went on
    ticking for ever while `await` on it waited (a test hung at 99 %, 2 runs in 3 of the
    suite). The cancel is still counted on the task: honour it here.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class RedisMember:
    """One dashboard's part in a Redis bus, for as long as `run()` is awaited.

    `lead(sink)` starts this dashboard's own pollers, writing every answer to `sink`;
    `follow()` stops them (another dashboard polls). `on_skip` is told every message or key
    skipped (counted in `skips`), `on_note` what happened to the lease.
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
        lead: Callable[[EntrySink], None],
        follow: Callable[[], Any],
        on_skip: OnSkip | None = None,
        on_note: Callable[[str], None] | None = None,
        clock: Clock | None = None,
        retry_min_s: float = RETRY_MIN_S,
    ) -> None:
        self.address = address
        self.shown = shown_address(address)
        self.streamed = tuple(streamed)
        self.polled = tuple(f for f in feeds if f not in self.streamed)
        self.feeds = self.polled + self.streamed
        self.lease_s = lease_s
        self.member = secrets.token_hex(8)
        self._on_entry = on_entry
        self._on_link = on_link
        self._lead = lead
        self._follow = follow
        self._on_skip = on_skip
        self._on_note = on_note
        self._clock = clock
        # Holds the lease: polls for everyone.
        self.leading = False
        # Redis unusable: polls for itself.
        self.fallback = False
        # This member's pollers are running (leading or fallback).
        self.polling = False
        # The client answers are shared on while leading.
        self.sharing: Any = None
        # Everything this member polled or was told: the latest of every feed.
        self.held = Hub()
        self.skips = Skips()
        # How many membership cycles failed in a row, and the wait before the next one.
        self.failed_cycles = 0
        self.retry_min_s = retry_min_s
        self.wait_s = retry_min_s
        self._relay = _Relay(self)
        self._watch = _LeaseWatch()
        # Redis refusing writes: since when (loop time) the members choose on the channel.
        self.channel_since: float | None = None
        # Other members heard on the channel: id -> loop time last heard.
        self.peers: dict[str, float] = {}
        # This cycle's Redis answered PING (so a lost connection was dropped, not refused).
        self._answered = False

    async def run(self) -> None:
        import redis.asyncio as redis

        try:
            while True:
                client: Any = redis.from_url(
                    self.address,
                    socket_connect_timeout=2.0,
                    socket_timeout=max(2.0, self.lease_s),
                )
                healthy = [False]
                self._answered = False
                try:
                    await self._member_of(client, healthy)
                    reason = f"Redis at {self.shown} ended the membership"
                except BusRefused as exc:
                    reason = exc.reason
                except redis.ResponseError as exc:
                    reason = refusal(exc, self.shown)
                except (redis.RedisError, OSError) as exc:
                    # Once it answered, a lost connection is Redis (or the network) dropping
                    # it, e.g. over its output buffer limit for a huge message: not
                    # "unreachable".
                    lost = "dropped the connection" if self._answered else "unreachable"
                    reason = f"Redis at {self.shown} {lost} ({exc})"
                finally:
                    self.sharing = None
                    self.channel_since = None
                    with contextlib.suppress(Exception):
                        await client.aclose()
                _end_if_cancelled()
                await self._lost(reason)
                # Grows with every failed cycle, whatever failed; only a membership that
                # worked for a while starts it afresh.
                if healthy[0]:
                    self.wait_s = self.retry_min_s
                self.failed_cycles += 1
                await asyncio.sleep(self.wait_s)
                self.wait_s = min(self.wait_s * 2, RETRY_MAX_S)
        finally:
            # However the link ends (cancelled, or a bug), what it started stops with it: a
            # restarted link must not leave a second set of pollers behind.
            self.leading = False
            self.fallback = False
            self.sharing = None
            await self._stop_polling()

    def _start_polling(self) -> None:
        if not self.polling:
            self.polling = True
            self._lead(self._relay)

    async def _stop_polling(self) -> None:
        if self.polling:
            self.polling = False
            result = self._follow()
            if asyncio.iscoroutine(result):
                await result

    async def _lost(self, reason: str) -> None:
        short = reason if len(reason) < 120 else reason[:119] + "…"
        log.warning("%s; polling upstream directly", short)
        self._on_link(f"{short.split(' (')[0]}: polling upstream directly")
        self.leading = False
        self.sharing = None
        self.fallback = True
        self._start_polling()  # a leader's pollers just go on, for this dashboard only

    async def _member_of(self, client: Any, healthy: list[bool]) -> None:
        await client.ping()
        self._answered = True
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        try:
            await self._read_shared(client)
            renew = client.register_script(RENEW_SCRIPT)
            takeover = client.register_script(TAKEOVER_SCRIPT)
            tick_s = self.lease_s / 3
            loop = asyncio.get_running_loop()
            ticks = 0
            while True:
                await self._lease_tick(client, renew, takeover, healthy[0])
                ticks += 1
                if ticks == HEALTHY_TICKS:
                    # Linked only once it has worked for a while: a Redis that fails a moment
                    # after each PING does not make the notice come and go every cycle.
                    healthy[0] = True
                    self.failed_cycles = 0
                    if self.channel_since is None:
                        self._on_link(None)
                until = loop.time() + tick_s
                while (left := until - loop.time()) > 0:
                    message = await pubsub.get_message(timeout=left)
                    _end_if_cancelled()
                    if message is not None:
                        await self._message(message)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _read_shared(self, client: Any) -> None:
        """What was shared before we came: the latest answer of every feed, each key read
        within its bounds."""
        import redis.asyncio as redis

        for feed in self.feeds:
            key = latest_key(feed)
            try:
                read = await read_latest(client, key, streamed=feed in self.streamed)
            except redis.ResponseError as exc:
                # A key we may not read (an ACL): skipped like a bad one; the lease decides
                # whether this Redis can carry the bus.
                self._skip(f"key {key}: {refusal(exc, self.shown, key)}")
                continue
            if read.problem is not None:
                self._skip(read.problem)
            for line in read.lines:
                await self._take(line)

    async def _lease_tick(self, client: Any, renew: Any, takeover: Any, healthy: bool) -> None:
        """One lease round: renew ours, take a free or stale one, or follow its holder.
        `healthy`: this membership has worked for a while (until then a dashboard polling on
        its own goes on, so a Redis that fails right after never makes it stop and restart)."""
        import redis.asyncio as redis

        lease_ms = int(self.lease_s * 1000)
        try:
            if self.channel_since is None:
                # Renewed if still ours: held all along, or again after a reconnection.
                if await renew(keys=[LEASE_KEY], args=[self.member, lease_ms]):
                    if not self.leading:
                        await self._take_lease(client, "still held the Redis lease: polls on")
                    return
                if self.leading:
                    log.warning("lost the Redis lease; another dashboard polls now")
                    self.leading = False
                    self.sharing = None
                    await self._stop_polling()
                    return
            if await client.set(LEASE_KEY, self.member, nx=True, px=lease_ms):
                self._leave_channel()
                await self._take_lease(client, "took the Redis lease: this dashboard polls")
                return
            self._leave_channel()
            stale = await self._stale_lease(client)
            if stale is not None:
                kind, value, why = stale
                args = [kind, value, self.member, LEASE_VALUE_BYTES - 1, lease_ms]
                if await takeover(keys=[LEASE_KEY], args=args):
                    await self._take_lease(client, f"Redis lease {LEASE_KEY} {why}: taken over")
                return
        except redis.ResponseError as exc:
            if not refuses_writes(exc):
                raise BusRefused(refusal(exc, self.shown, LEASE_KEY)) from exc
            await self._elect(client, refusal(exc, self.shown, LEASE_KEY))
            return
        # Someone else holds a live lease: they poll, we follow.
        if self.fallback and not healthy:
            return
        self.fallback = False
        await self._stop_polling()

    async def _elect(self, client: Any, reason: str) -> None:
        """Redis refuses writes (no lease, no kept answers) but its channel works: the members
        say hello on it every tick, and the one with the lowest id among those heard within a
        lease polls for all, sharing on the channel only. A member listens for a lease first,
        so that it knows who else is there before it decides."""
        now_s = asyncio.get_running_loop().time()
        if self.channel_since is None:
            self.channel_since = now_s
            self.leading = False
            self.sharing = None
            log.warning("%s; one dashboard polls for all, chosen on the channel", reason)
            self._on_link(f"{reason}: answers shared on its channel only")
        await client.publish(CHANNEL, json.dumps({"from": self.member, "hello": True}))
        if now_s - self.channel_since < self.lease_s:
            return  # still listening (a member already polling on its own goes on meanwhile)
        alive = [m for m, seen_s in self.peers.items() if now_s - seen_s <= self.lease_s]
        if all(self.member < other for other in alive):
            if not self.leading:
                log.info("chosen on the channel: this dashboard polls")
                self.leading = True
                self.fallback = False
                self.sharing = client
                self._start_polling()
                await self.share(client, self.held.snapshot())
            return
        self.leading = False
        self.sharing = None
        self.fallback = False
        await self._stop_polling()

    def _leave_channel(self) -> None:
        """Redis takes writes again: the lease decides from now on."""
        if self.channel_since is None:
            return
        self.channel_since = None
        if self.leading:
            self.leading = False  # a channel leader holds no lease; its pollers go on for now
            self.sharing = None
        self._on_link(None)

    async def _stale_lease(self, client: Any) -> tuple[str, bytes, str] | None:
        """The lease someone else holds, if it has gone unrenewed too long: its type, value
        and why it is stale; None while it is alive (or gone: SET NX takes it next tick)."""
        async with client.pipeline(transaction=False) as pipe:
            pipe.type(LEASE_KEY)
            pipe.pttl(LEASE_KEY)
            pipe.getrange(LEASE_KEY, 0, LEASE_VALUE_BYTES - 1)
            results = await pipe.execute(raise_on_error=False)
        kind_raw, pttl, value = results
        kind = kind_raw.decode() if isinstance(kind_raw, bytes) else str(kind_raw)
        if kind == "none" or isinstance(pttl, Exception):
            self._watch.forget()
            return None
        value = bytes(value) if isinstance(value, bytes) else b""
        unrenewed_s = self._watch.observe(kind, value, int(pttl), asyncio.get_running_loop().time())
        held = "held" if kind == "string" else f"of the wrong type ({kind}) held"
        if int(pttl) == -1:
            return kind, value, f"{held} with no expiry"
        if unrenewed_s >= self.lease_s:
            return kind, value, f"{held}, not renewed for {unrenewed_s:.0f} s"
        return None

    async def _take_lease(self, client: Any, note: str) -> None:
        log.info("%s", note)
        if self._on_note is not None and "taken over" in note:
            self._on_note(note)
        self._watch.forget()
        self.leading = True
        self.fallback = False
        self.sharing = client
        self._start_polling()
        # A new leader shares all it holds: after Redis restarted empty, a dashboard joining
        # now finds the whole state, not only what was polled since.
        await self.share(client, self.held.snapshot())

    async def share(self, client: Any, entries: list[Entry]) -> None:
        """Keep each answer as its feed's latest and publish it on the channel."""
        if not entries:
            return
        try:
            async with client.pipeline(transaction=False) as pipe:
                keep = self.channel_since is None  # a Redis refusing writes keeps nothing
                for entry in entries:
                    line = encode(entry).decode("utf-8")
                    if keep and entry.error is None and entry.item is not None:
                        # A streamed feed: the latest update of every item.
                        pipe.hset(latest_key(entry.feed), entry.item, line)
                    elif keep and entry.error is None:
                        pipe.set(latest_key(entry.feed), line)
                    pipe.publish(CHANNEL, json.dumps({"from": self.member, "entry": line}))
                results = await pipe.execute(raise_on_error=False)
            for result in results:
                if isinstance(result, Exception):
                    # A hash key holding something else: ours to replace (it is the bus's key).
                    log.warning("answer not shared on Redis: %s", result)
                    if str(result).startswith("WRONGTYPE"):
                        for entry in entries:
                            if entry.item is not None:
                                await client.delete(latest_key(entry.feed))
                    break
        except Exception as exc:  # Redis going away is noticed (and said) by the member loop
            log.warning("answer not shared on Redis: %s", exc)

    async def _message(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        data = message.get("data")
        envelope = decode_envelope(data) if isinstance(data, bytes | str) else "not a message"
        if isinstance(envelope, str):
            self._skip(envelope)
            return
        if envelope.sender == self.member:
            self.skips.taken += 1
            return  # our own answer: already in our state
        now_s = asyncio.get_running_loop().time()
        last_s = self.peers.get(envelope.sender)
        self.peers[envelope.sender] = now_s
        joined = last_s is None or now_s - last_s > self.lease_s
        if joined and self.leading and self.channel_since is not None:
            # A member joining a Redis that keeps nothing: it gets the whole state at once.
            await self.share(self.sharing, self.held.snapshot())
        if envelope.entry is None:
            self.skips.taken += 1  # a hello
            return
        await self._take(envelope.entry)

    async def _take(self, line: bytes | str) -> None:
        now = self._clock.now() if self._clock is not None else None
        entry = decode(line, self.feeds, now)
        if isinstance(entry, str):
            self._skip(entry)
            return
        self.skips.taken += 1
        if entry.error is None:
            known = self.held.latest_ok.get((entry.feed, entry.item or ""))
            if known is not None and known.received_at >= entry.received_at:
                return  # read again on reconnecting: what we hold is as new or newer
        self.held.write(entry)
        await self._on_entry(entry)

    def _skip(self, reason: str) -> None:
        self.skips.add(reason)
        log.warning("Redis bus: skipped %s", reason)
        if self._on_skip is not None:
            self._on_skip(reason)
