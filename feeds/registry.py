"""Every feed, one typed entry each: the one place a feed is declared.

An entry says how to parse the feed's answer (its adapter), what type that gives, where to
ask and how often by default, whether its answers are worth keeping across restarts, and how
far apart requests to its upstream host must be. The settings, the runtime, the recorder and
the state all read this table; adding a feed is one entry here plus its adapter module (see
docs/architecture.md). No Textual here, and nothing above `feeds/`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import urlparse

from issdash.feeds.adapters.crew import CrewReport, parse_astros, parse_corquaid
from issdash.feeds.adapters.oem import Oem, parse_oem
from issdash.feeds.adapters.position import parse_position
from issdash.feeds.adapters.schedule import (
    Docked,
    Dockings,
    Launches,
    parse_docked,
    parse_dockings,
    parse_launches,
)
from issdash.feeds.adapters.supgp import SupGp, parse_supgp
from issdash.feeds.adapters.tle import parse_element_sets
from issdash.feeds.elements import APPROXIMATE_AFTER_H, ElementSets
from issdash.feeds.localfiles import LARGEST_BODY_BYTES
from issdash.feeds.poller import FeedUpdate, Parser
from issdash.feeds.sources import DEFAULT_MAX_BODY_BYTES
from issdash.feeds.values import PositionFix

T_co = TypeVar("T_co", covariant=True)

LL2 = "https://ll.thespacedevs.com/2.3.0"
CORQUAID = "https://corquaid.github.io/international-space-station-APIs/JSON"


@dataclass(frozen=True, slots=True)
class Received(Generic[T_co]):
    """A feed's last good value and when it arrived."""

    value: T_co
    received_at: datetime
    from_cache: bool = False


@dataclass(frozen=True, slots=True)
class FeedDef(Generic[T_co]):
    """One feed. `T_co` is what its adapter gives, so whoever reads the feed's value from the
    state gets it typed (`MissionState.latest(CREW)` is a `Received[CrewReport]`)."""

    name: str
    parse: Parser[T_co]
    # The adapter's result type: the one run-time check that an update carries what this feed
    # says it does (see `received`).
    value_type: type[T_co]
    # Defaults of the feed's settings (`ISSDASH_FEEDS__<NAME>__...`); `min_interval_s` is the
    # floor a user cannot go under (an upstream's published limit).
    url: str
    interval_s: float
    min_interval_s: float
    timeout_s: float = 10.0
    retry_max_s: float = 900.0
    # Worth keeping on disk across restarts: slow-changing data (a position is stale in seconds).
    cacheable: bool = True
    # Seconds between requests from every feed pointed at this feed's default host, when the
    # upstream's limit covers all its endpoints together (Launch Library 2).
    host_spacing_s: float | None = None
    # The spacing covers one resource (the host and path), not the whole host: CelesTrak's
    # limit is on downloading the same data again, so its GP and its supplemental GP are
    # spaced each on its own, never one waiting for the other.
    spacing_per_path: bool = False
    # Past this age the last good answer no longer describes now: what is built from it is
    # shown as not known (see issdash.model.certainty). None: the feed's age is judged elsewhere.
    trust_for: timedelta | None = None
    # When the data itself is from, if not when it was fetched (elements age from their
    # epoch), and past what age that makes the feed stale even while it answers.
    data_time: Callable[[T_co], datetime] | None = None
    max_data_age_s: float | None = None
    # The largest answer taken, on every way one comes in (HTTP, file://, the cache, a replay,
    # the bus); at most LARGEST_BODY_BYTES, which cache files and recording lines are sized for.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def received(self, update: FeedUpdate[object]) -> Received[T_co] | None:
        """The update as this feed's typed value; None when it is another feed's or carries
        something else (never stored as this feed's)."""
        value = update.value
        if update.feed != self.name or not isinstance(value, self.value_type):
            return None
        return Received(value, update.received_at, update.from_cache)

    def data_time_of(self, update: FeedUpdate[object]) -> datetime | None:
        """When the update's data is from, for a feed that says (`data_time`)."""
        received = self.received(update) if self.data_time is not None else None
        return self.data_time(received.value) if self.data_time and received else None


# CelesTrak answers 403 to a client that asks for the same resource more than once in two
# hours: its GP and its supplemental GP both keep to this.
CELESTRAK_SPACING_S = 7200.0


def _newest_epoch(sets: ElementSets) -> datetime:
    return sets.sets[-1].epoch


TLE = FeedDef(
    name="tle",
    parse=parse_element_sets,
    value_type=ElementSets,
    url="https://celestrak.org/NORAD/elements/gp.php?CATNR=25544&FORMAT=JSON",
    # CelesTrak answers 403 to clients that ask more than once every two hours; the floor is
    # lower only so a local mirror or file can be polled faster.
    interval_s=CELESTRAK_SPACING_S,
    min_interval_s=60.0,
    retry_max_s=4 * 3600.0,
    # CelesTrak blocks clients that download the same elements more than once every two hours,
    # whichever feed asks (and across restarts: the runtime keeps the last request time).
    host_spacing_s=CELESTRAK_SPACING_S,
    spacing_per_path=True,
    # Elements age from their epoch: a feed answering with 40-day-old elements is not "ok".
    data_time=_newest_epoch,
    max_data_age_s=APPROXIMATE_AFTER_H * 3600.0,
)
POSITION = FeedDef(
    name="position",
    parse=parse_position,
    value_type=PositionFix,
    url="https://api.wheretheiss.at/v1/satellites/25544",
    # wheretheiss.at allows about one request per second per client.
    interval_s=5.0,
    min_interval_s=1.0,
    timeout_s=5.0,
    retry_max_s=300.0,
    cacheable=False,
)
# The docked list and the schedule change within a day around every arrival (`trust_for`); the
# crew changes more rarely.
CREW = FeedDef(
    name="crew",
    parse=parse_corquaid,
    value_type=CrewReport,
    url=f"{CORQUAID}/people-in-space.json",
    interval_s=1800.0,
    min_interval_s=60.0,
    retry_max_s=4 * 3600.0,
    trust_for=timedelta(days=2),
)
ASTROS = FeedDef(
    name="astros",
    parse=parse_astros,
    value_type=CrewReport,
    url="http://api.open-notify.org/astros.json",
    interval_s=1800.0,
    min_interval_s=60.0,
    retry_max_s=4 * 3600.0,
    trust_for=timedelta(days=2),
)
DOCKED = FeedDef(
    name="docked",
    parse=parse_docked,
    value_type=Docked,
    url=f"{CORQUAID}/iss-docked-spacecraft.json",
    interval_s=1800.0,
    min_interval_s=60.0,
    retry_max_s=4 * 3600.0,
    trust_for=timedelta(days=1),
)
# Launch Library 2 allows ~15 anonymous requests an hour across all its endpoints; two feeds at
# 20 min each is 6 an hour, and every feed pointed at its host is spaced at least 10 min from
# the others (`host_spacing_s`).
LAUNCHES = FeedDef(
    name="launches",
    parse=parse_launches,
    value_type=Launches,
    url=f"{LL2}/launches/upcoming/?search=ISS&limit=10&mode=detailed",
    interval_s=1200.0,
    min_interval_s=600.0,
    retry_max_s=3600.0,
    host_spacing_s=600.0,
    trust_for=timedelta(days=1),
)
DOCKINGS = FeedDef(
    name="dockings",
    parse=parse_dockings,
    value_type=Dockings,
    url=f"{LL2}/docking_events/?space_station_target__id=4&limit=10",
    interval_s=1200.0,
    min_interval_s=600.0,
    retry_max_s=3600.0,
    host_spacing_s=600.0,
    trust_for=timedelta(days=1),
)
# NASA's own predicted trajectory (CCSDS OEM, ~15 days ahead), published about three times a
# week on the agency's public data bucket: polled every 6 hours at most, conditionally.
NASA_OEM_URL = (
    "https://nasa-public-data.s3.amazonaws.com/iss-coords/current/ISS_OEM/ISS.OEM_J2K_EPH.txt"
)
OEM = FeedDef(
    name="oem",
    parse=parse_oem,
    value_type=Oem,
    url=NASA_OEM_URL,
    interval_s=6 * 3600.0,
    min_interval_s=60.0,
    timeout_s=30.0,
    # At most every 6 h, whichever feed asks and across restarts (as CelesTrak's spacing).
    host_spacing_s=6 * 3600.0,
    # Failures back off from the interval to twice it, jittered (as the GP's do).
    retry_max_s=12 * 3600.0,
    data_time=lambda oem: oem.header.created or oem.header.start,
    # A new trajectory comes about every two or three days; one a week old has missed two.
    max_data_age_s=7 * 86400.0,
    # NASA's 15 days are ~1.6 MB of text, ~3 MB as XML: over the 2 MB the other feeds get.
    max_body_bytes=LARGEST_BODY_BYTES,
)
# CelesTrak's elements fitted to that trajectory (six-hour segments): the same two-hour
# politeness as its GP, kept per resource (`spacing_per_path`), so neither waits for the other.
SUPGP = FeedDef(
    name="supgp",
    parse=parse_supgp,
    value_type=SupGp,
    url="https://celestrak.org/NORAD/elements/supplemental/sup-gp.php?SOURCE=ISS-E&FORMAT=JSON",
    interval_s=CELESTRAK_SPACING_S,
    min_interval_s=60.0,
    retry_max_s=4 * 3600.0,
    host_spacing_s=CELESTRAK_SPACING_S,
    spacing_per_path=True,
    data_time=lambda fit: fit.start,
    max_data_age_s=7 * 86400.0,
)

# Every feed, in the order they are shown and started.
FEEDS: tuple[FeedDef[object], ...] = (
    TLE,
    POSITION,
    CREW,
    ASTROS,
    DOCKED,
    LAUNCHES,
    DOCKINGS,
    OEM,
    SUPGP,
)
FEED_NAMES: tuple[str, ...] = tuple(f.name for f in FEEDS)
BY_NAME: Mapping[str, FeedDef[object]] = {f.name: f for f in FEEDS}


def gate_key(url: str, per_path: bool) -> str:
    """What a rate limit is kept for: the URL's host, or its host and path."""
    parts = urlparse(url)
    host = parts.hostname or ""
    return f"{host}{parts.path}" if per_path and host else host


def shared_limits_by_host() -> dict[str, float]:
    """Seconds between requests to each rate-limited upstream: by host where the limit covers
    all its endpoints, by host and path where it covers one resource (`spacing_per_path`)."""
    limits: dict[str, float] = {}
    for feed in FEEDS:
        key = gate_key(feed.url, feed.spacing_per_path)
        if feed.host_spacing_s is not None and key:
            limits[key] = max(limits.get(key, 0.0), feed.host_spacing_s)
    return limits
