"""Wires feeds to the state: sources, pollers, the cache and the store. No Textual here.

The dashboard and `issdash status` both run on a `Runtime`; only what they do with the state
differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    import httpx

    from issdash.feeds.bus_redis import RedisMember

from issdash.config.settings import ALL_FEEDS, STREAM_NAMES, FeedSettings, Settings
from issdash.core.feed_parsers import ADAPTERS, STREAMED
from issdash.core.station_feed import StationFeed
from issdash.feeds.adapters.tle import parse_element_sets
from issdash.feeds.cache import FeedCache
from issdash.feeds.clock import Clock
from issdash.feeds.health import FeedHealth
from issdash.feeds.localfiles import HISTORY_MAX_BYTES, read_bounded
from issdash.feeds.poller import (
    FeedFailure,
    FeedSpec,
    FeedUpdate,
    GateRecord,
    Poller,
    RateGate,
    Recovery,
    RetryNow,
    gather_once,
)
from issdash.feeds.recording import EntrySink, Recording, RecordingSource, load_recording
from issdash.feeds.registry import BY_NAME, FEED_NAMES, FEEDS, gate_key, shared_limits_by_host
from issdash.feeds.replay import SCHEME as REPLAY_SCHEME
from issdash.feeds.replay import PacedClock, ReplaySource, replay_url
from issdash.feeds.sources import (
    BoundedSource,
    FeedError,
    FileSource,
    HttpSource,
    RawResponse,
    Source,
    SourceRouter,
    Validators,
    body_size_problem,
    make_http_client,
)
from issdash.feeds.telemetry_stream import LightstreamerTelemetry, StreamSettings, TelemetryReplay
from issdash.model.state import ElementsInfo, MissionState, Mode, StateStore

log = logging.getLogger(__name__)


# Rate-limited upstreams: seconds between requests from every feed pointed at that host (or,
# for a limit on one resource, that host and path: `gate_key`), from the registry.
SHARED_LIMITS_BY_HOST: dict[str, float] = shared_limits_by_host()
# Where the last request time per rate-limited host is kept, in the cache folder.
GATE_RECORD_FILE = "request-times.json"

BUNDLED_ELEMENTS = "iss_2025-04-07.tle"
BUNDLED_RECORDING = "ms27-2025-04-08.jsonl.gz"


def bundled_path(name: str) -> Path:
    """A data file shipped inside the `feeds` package."""
    return Path(str(resources.files("issdash.feeds.data") / name))


def bundled_elements_response() -> RawResponse:
    """The last-resort element set, dated by its own epoch so its age is shown honestly."""
    path = bundled_path(BUNDLED_ELEMENTS)
    body = path.read_text(encoding="utf-8")
    # received_at is set to the epoch below; parsing with no `now` does not read it.
    undated = RawResponse(path.as_uri(), 200, "text/plain", body, datetime.fromtimestamp(0, UTC))
    epoch = parse_element_sets(undated, None).sets[-1].epoch
    return RawResponse(path.as_uri(), 200, "text/plain", body, epoch)


def load_element_history(path: Path) -> tuple[ElementsInfo, ...]:
    """Every station set in a history file (OMM JSON list or multi-set TLE text), for
    answering about any time it covers. `FeedError`, `LocalFileError` (not a regular file,
    over its cap) or `OSError` says why it cannot be used."""
    body = read_bounded(path, "elements history", HISTORY_MAX_BYTES).decode("utf-8")
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    sets = parse_element_sets(RawResponse(path.as_uri(), 200, "", body, mtime), None)
    return tuple(ElementsInfo(s, "history", mtime) for s in sets.sets)


def load_demo_recording(path: Path | None = None) -> Recording:
    """The recording to replay: `path`, or the bundled Soyuz MS-27 day."""
    return load_recording(path or bundled_path(BUNDLED_RECORDING), ALL_FEEDS)


def demo_settings(settings: Settings, recording: Recording) -> Settings:
    """Demo feeds: every feed the recording holds, replayed; never the network."""
    feeds = settings.feeds.model_copy(deep=True)
    for name in ALL_FEEDS:
        feed = feeds.get(name)
        feed.enabled = name in recording.feeds
        feed.url = replay_url(name)
        # Data is only as fresh as the recording's own cadence (a fix every 30 s, say):
        # judging its age against a 5 s live interval would call good data stale.
        cadence = recording.cadence_s(name)
        if cadence is not None:
            feed.interval_s = max(feed.interval_s, cadence)
    return settings.model_copy(update={"feeds": feeds})


class Runtime:
    """Owns the shared HTTP client, the pollers and the state store."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        mode: Mode = "live",
        cache: FeedCache | None = None,
        recording: Recording | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.mode = mode
        self.recording = recording
        # Element sets from a history file (`--elements-history`), for any time they cover.
        self.element_history: tuple[ElementsInfo, ...] = ()
        # Set by `issdash record` (a file) or a collector (the answer bus): every answer of
        # every feed is also written there.
        self.recorder: EntrySink | None = None
        # Live answers read from a collector on this bus (issdash.core.bus_link) instead of polled.
        self.bus = settings.bus if mode == "live" and recording is None else None
        # The Redis bus membership, when that is the bus (issdash.feeds.bus_redis.RedisMember).
        self.bus_member: RedisMember | None = None
        # Replayed feeds poll on a paced clock (see PacedClock); live feeds on the real one.
        self.poll_clock: Clock = PacedClock(clock) if recording is not None else clock
        # Under a collector the collector keeps the cache; a session keeps none.
        self.cache = (
            cache
            if cache is not None
            else FeedCache(settings.cache_dir if mode == "live" and self.bus is None else None)
        )
        self._client: httpx.AsyncClient | None = None
        self._replay: ReplaySource | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.pollers: dict[str, Poller[object]] = {}
        feeds = {
            name: FeedHealth(
                name=name,
                enabled=self._enabled(name),
                interval_s=settings.feeds.get(name).interval_s,
                # Past this age elements are approximate (issdash.feeds.elements): the feed that
                # serves only such elements is stale, however recently it answered.
                max_data_age_s=BY_NAME[name].max_data_age_s if name in BY_NAME else None,
                timeout_s=settings.feeds.get(name).timeout_s,
            )
            for name in ALL_FEEDS
            # A stream that is off is not a feed of this run at all (no "off" to report).
            if name not in STREAMED or self._enabled(name)
        }
        self._initial = MissionState(mode=mode, observer=settings.observer).with_feeds(feeds)
        self.store = StateStore(self._initial)
        # One gate per rate-limited host for the whole run, so feeds restarted by the
        # watchdog still share it with the others.
        # The spacing survives restarts through a record in the cache folder (live only: a
        # replay's times are not real requests).
        cache_dir = settings.cache_dir if mode == "live" and recording is None else None
        record = GateRecord(cache_dir / GATE_RECORD_FILE) if cache_dir is not None else None
        # Each feed's last HTTP answer and its validators, for conditional requests.
        self._validators: dict[str, Validators] = {}
        self._gates = {
            host: RateGate(s, clock, host, record) for host, s in SHARED_LIMITS_BY_HOST.items()
        }
        # The pollers of the run hear from each other when an outage ends; "retry now" goes
        # through it too (see `retry_feeds_now`).
        self.recovery = Recovery()
        # When each feed's cached answer, accepted by its adapter at start, was received: a
        # feed whose answer is younger than its interval does not poll at start.
        self._cached_at: dict[str, datetime] = {}
        self.cache.on_notice = self._notice

    def _notice(self, notice: str) -> None:
        self.store.update(lambda s: s.with_notice(notice))

    @classmethod
    def for_demo(cls, settings: Settings, recording: Recording, clock: Clock) -> Runtime:
        """A runtime replaying `recording` through the normal adapters, never the network."""
        return cls(demo_settings(settings, recording), clock, mode="demo", recording=recording)

    @property
    def not_recorded(self) -> frozenset[str]:
        """In a replay, the feeds its recording never answered (a recording made before a feed
        existed): not replayed, so neither down nor switched off. Empty when live."""
        if self.recording is None:
            return frozenset()
        return frozenset(n for n in ALL_FEEDS if n not in self.recording.feeds)

    def _enabled(self, name: str) -> bool:
        return (name in BY_NAME or name in STREAMED) and self.settings.feeds.get(name).enabled

    def station_feed(self) -> StationFeed:
        """The telemetry feed: replayed from the recording, or live over Lightstreamer."""
        feed = self.settings.feeds.telemetry
        clock = self.clock
        recording = self.recording
        if recording is not None and urlparse(feed.url).scheme == REPLAY_SCHEME:
            # Read a window at a time from the recording, never held whole.
            return StationFeed(
                lambda f: TelemetryReplay(recording, clock, on_reset=f.reset),
                clock,
                self.store.publish,
                self.recorder,
            )
        stream = StreamSettings(
            server=feed.url,
            adapter_set=feed.adapter_set,
            connect_timeout_s=feed.timeout_s,
            backoff_max_s=feed.retry_max_s,
        )
        return StationFeed(
            lambda f: LightstreamerTelemetry(stream, clock, on_attempt_failed=f.on_attempt_failed),
            clock,
            self.store.publish,
            self.recorder,
        )

    def spec(self, name: str) -> FeedSpec[object]:
        feed: FeedSettings = self.settings.feeds.get(name)
        return FeedSpec(
            name=name,
            url=feed.url,
            parse=BY_NAME[name].parse,
            interval_s=feed.interval_s,
            timeout_s=feed.timeout_s,
            retry_max_s=feed.retry_max_s,
            cacheable=BY_NAME[name].cacheable,
            min_interval_s=BY_NAME[name].min_interval_s,
        )

    def _source(self, name: str) -> SourceRouter:
        """The sources for feed `name`, every one held to its body cap (`max_body_bytes`)."""
        needs_http = any(
            self._enabled(n) and self.settings.feeds.get(n).url.startswith(("http:", "https:"))
            for n in FEED_NAMES
        )
        if needs_http and self._client is None:
            self._client = make_http_client()
        cap = BY_NAME[name].max_body_bytes
        validators = self._validators.setdefault(name, Validators())
        http = (
            HttpSource(self._client, self.clock, cap, validators=validators)
            if self._client is not None
            else None
        )
        if self.recording is not None and self._replay is None:
            self._replay = ReplaySource(self.recording, self.clock)
        replay = BoundedSource(self._replay, cap) if self._replay is not None else None
        return SourceRouter(http, FileSource(self.clock, cap), replay)

    async def preload_cache(self) -> None:
        """Read the cached answers `load_fallbacks` will use, off the event loop and each within
        the cache's deadline (a replay and a bus member use none)."""
        if self.recording is not None or self.bus is not None:
            return
        await self.cache.preload(f.name for f in FEEDS if f.cacheable and self._enabled(f.name))

    def load_fallbacks(self) -> None:
        """Bundled elements and cached responses, so the screen has something at once.

        A replay brings its own elements and must not mix in data from outside it.
        """
        if self.recording is None or "tle" not in self.recording.feeds:
            raw = bundled_elements_response()
            # Checked at its own epoch only: it may be used for any time, and which set fits a
            # time (and whether it still propagates then) is decided when the time is known.
            bundled = parse_element_sets(raw, None)
            infos = [ElementsInfo(e, "bundled", raw.received_at) for e in bundled.sets]
            self.store.update(lambda s: s.with_elements(*infos))
        if self.element_history:
            history = self.element_history
            self.store.update(lambda s: s.with_elements(*history))
        if self.recording is not None or self.bus is not None:
            return
        for feed in FEEDS:
            name = feed.name
            if not feed.cacheable or not self._enabled(name):
                continue
            cached = self.cache.load(name)
            if cached is None:
                continue
            cap = BY_NAME[name].max_body_bytes
            if (too_large := body_size_problem(cached.body, cap)) is not None:
                # Over the feed's cap however it got there (an older version's, a hand-made
                # file): never parsed, set aside like any answer that fails its checks.
                self.cache.discard(name)
                self._notice(f"cached {name} discarded: {too_large}")
                continue
            try:
                value = feed.parse(cached, self.clock.now())
            except FeedError as exc:
                log.warning("ignoring cached %s: %s", name, exc.reason)
                if self._poisoned(name, cached):
                    # It fails its checks even at the time it was received: discarded, and
                    # said, never trusted again. The feed polls afresh at start.
                    self.cache.discard(name)
                    self._notice(f"cached {name} discarded: {exc.reason}")
                else:
                    # Good when received, not for this time (`status --at` long before it):
                    # kept on disk for later, not used now.
                    self._notice(f"cached {name} not used at this time: {exc.reason}")
                continue
            self._cached_at[name] = cached.received_at
            # Its validators make the first request conditional (a 304 keeps this answer).
            self._validators.setdefault(name, Validators()).last = cached
            self.store.publish(FeedUpdate(name, value, cached.received_at, from_cache=True))
        if self.cache.notice and self.mode == "live":
            self.store.update(lambda s: s.with_notice(self.cache.notice or ""))

    @staticmethod
    def _poisoned(name: str, cached: RawResponse) -> bool:
        try:
            ADAPTERS[name](cached, cached.received_at)
        except FeedError:
            return True
        return False

    def note_answer(self, name: str, received_at: datetime) -> None:
        """An answer this runtime did not poll itself (from the bus): if it has to poll later
        (it took over the polling), it waits until that answer is an interval old."""
        known = self._cached_at.get(name)
        if known is None or received_at > known:
            self._cached_at[name] = received_at

    async def stop_pollers(self) -> None:
        """Cancel the feed pollers (not the bus link): another dashboard polls now."""
        tasks = {n: t for n, t in self._tasks.items() if n != "bus"}
        for task in tasks.values():
            task.cancel()
        for name, task in tasks.items():
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # Only the task cancelled here: a poller started meanwhile stays.
            if self._tasks.get(name) is task:
                del self._tasks[name]
                self.pollers.pop(name, None)

    def cached_feeds(self) -> list[str]:
        """The feeds whose cached answer was accepted at start."""
        return list(self._cached_at)

    def start(self) -> None:
        """Start one poller task per enabled feed, or, with a bus, the link to it."""
        if self.bus is not None:
            member = self.bus_member
            if "bus" not in self._tasks:
                from issdash.core.bus_link import start_link

                self._tasks["bus"] = start_link(self, self.bus)
                self._mark_started([n for n in ALL_FEEDS if self._enabled(n)])
            elif member is not None and member.polling:
                # Polling for the others (or for ourselves, Redis away): the watchdog's
                # restart of a stopped poller lands here.
                self.start_pollers()
            return
        self.start_pollers()

    def start_pollers(self) -> None:
        """Start one poller task per enabled feed (those not running yet)."""
        started: list[str] = []
        for name in ALL_FEEDS:
            if not self._enabled(name) or name in self._tasks:
                continue
            started.append(name)
            if name in STREAMED:
                self._tasks[name] = asyncio.create_task(self.station_feed().run(), name=name)
                continue
            url = self.settings.feeds.get(name).url
            gate = self._gates.get(gate_key(url, per_path=True)) or self._gates.get(
                gate_key(url, per_path=False)
            )
            feed_source: Source = self._source(name)
            if self.recorder is not None:
                feed_source = RecordingSource(feed_source, name, self.recorder, self.clock)
            replay = self._replay
            replayed = replay is not None and urlparse(url).scheme == REPLAY_SCHEME
            wake = (
                partial(replay.seconds_to_next, name) if replay is not None and replayed else None
            )
            poller = Poller(
                self.spec(name),
                feed_source,
                self.poll_clock,
                self.store.publish,
                self.cache,
                gate,
                wake,
                first_wait_s=self.fresh_for_s(name),
                # A replay's feeds answer as the recording did, outage or not.
                recovery=self.recovery if self.recording is None else None,
            )
            self.pollers[name] = poller
            self._tasks[name] = asyncio.create_task(poller.run(), name=f"poll-{name}")
        self._mark_started(started)

    def retry_feeds_now(self) -> RetryNow:
        """Retry feeds now: every feed this runtime polls that is down asks its upstream
        again at once (a Retry-After still runs its course; a shared host's spacing of
        answers still holds). Feeds that are not down, or not polled here (a follower on the
        bus, a replay's), are left alone."""
        return self.recovery.retry_now()

    def _mark_started(self, names: list[str]) -> None:
        """From now on a feed that never answers becomes overdue (see FeedHealth.overdue)."""
        now = self.clock.now()
        self.store.update(
            lambda s: s.with_feeds(
                {n: h.started(now) if n in names else h for n, h in s.feeds.items()}
            )
        )

    def fresh_for_s(self, name: str) -> float:
        """How much longer the cached answer accepted at start stays younger than the feed's
        interval (0: poll now). A cached answer from the future (a clock step back) is not
        trusted to be fresh."""
        received = self._cached_at.get(name)
        if received is None:
            return 0.0
        age_s = (self.clock.now() - received).total_seconds()
        interval_s = self.settings.feeds.get(name).interval_s
        return interval_s - age_s if 0.0 <= age_s < interval_s else 0.0

    def watchdog(self) -> list[str]:
        """Restart any poller whose task ended (it never should: a poller swallows feed
        errors, so an ended task is a bug), logging why. Returns the feeds restarted."""
        restarted = []
        for name, task in list(self._tasks.items()):
            if not task.done():
                continue
            reason = "cancelled" if task.cancelled() else repr(task.exception())
            log.error("poller for %s stopped (%s); restarting it", name, reason)
            del self._tasks[name]
            restarted.append(name)
        if restarted:
            self.start()
        return restarted

    async def restart(self) -> None:
        """Forget everything and poll afresh: after the replay clock jumps, what was known
        at the old time must not leak into the new one."""
        await self._cancel_pollers()
        self.store.reset(self._initial)
        self.load_fallbacks()
        self.start()

    async def _cancel_pollers(self) -> None:
        # A copy: the bus link, ending, stops the pollers it started (and edits _tasks).
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self.pollers.clear()

    async def stop(self) -> None:
        await self._cancel_pollers()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def gather_once(self, timeout_s: float) -> None:
        """Ask every enabled feed once, waiting at most `timeout_s`; a feed that has not
        answered by then is reported as failed."""
        names = [n for n in FEED_NAMES if self._enabled(n) and n not in STREAMED]
        streams = [
            asyncio.create_task(self.station_feed().gather(timeout_s))
            for n in STREAM_NAMES
            if self._enabled(n) and n in STREAMED
        ]
        tasks = {
            n: asyncio.create_task(
                gather_once(
                    self.spec(n), self._source(n), self.clock, self.store.publish, self.cache
                )
            )
            for n in names
        }
        if tasks:
            _, pending = await asyncio.wait(tasks.values(), timeout=timeout_s)
            for name, task in tasks.items():
                if task in pending:
                    task.cancel()
                    self.store.publish(
                        FeedFailure(
                            name, f"no answer within {timeout_s:g} s", self.clock.now(), None
                        )
                    )
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for stream in streams:
            await stream
        if self._client is not None:
            await self._client.aclose()
            self._client = None
