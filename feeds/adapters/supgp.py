"""Adapter for the `supgp` feed: CelesTrak's supplemental elements for the station
(`sup-gp.php?SOURCE=ISS-E&FORMAT=JSON`), OMM sets fitted to NASA's own trajectory in segments
of about six hours.

The body is the same OMM JSON as the `tle` feed's (one record per segment), so the records are
read and checked by the same code (`issdash.feeds.adapters.tle`). What differs is their meaning:
each set is fitted to one stretch of NASA's trajectory and holds from its epoch until the next
one's (`SupGp.covering`), segments run two weeks ahead (so their epochs are in the future, not
"too new"), and a record may carry the fit's RMS, in km.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from issdash.feeds.adapters.tle import parse_element_sets
from issdash.feeds.clock import ensure_utc, parse_iso_utc
from issdash.feeds.sources import FeedError, RawResponse
from issdash.feeds.values import ZARYA_LAUNCH, ElementSet

# CelesTrak fits six-hour segments about two weeks ahead (~60); a month of them is the most a
# body may hold to be believed.
MAX_SEGMENTS = 200
# A segment's elements are good for about its own length; past this after the last epoch
# nothing of this body covers the time.
SEGMENT_HOLD = timedelta(hours=8)
# A body whose last segment ended this long before `now` is an old file, not this fit.
MAX_STALE = timedelta(days=30)
# CelesTrak fits from the latest trajectory onwards: its first segment is not days ahead.
MAX_START_AHEAD = timedelta(days=2)
# CelesTrak's RMS of a fit is tens of metres to a few km; anything outside is not an RMS.
_MAX_RMS_KM = 1000.0


@dataclass(frozen=True, slots=True)
class SupGpSegment:
    """One fitted set and its RMS (km) where the body gives one."""

    elements: ElementSet
    rms_km: float | None


@dataclass(frozen=True, slots=True)
class SupGp:
    """Fitted segments, oldest epoch first (never empty)."""

    segments: tuple[SupGpSegment, ...]

    @property
    def start(self) -> datetime:
        return self.segments[0].elements.epoch

    @property
    def stop(self) -> datetime:
        """Where the last segment stops holding."""
        return self.segments[-1].elements.epoch + SEGMENT_HOLD

    def covering(self, at: datetime) -> SupGpSegment | None:
        """The segment that holds at `at`: the last one whose epoch is at or before it, while
        the next one has not begun; None before the first or after `stop`."""
        at = ensure_utc(at)
        if at < self.start or at > self.stop:
            return None
        chosen = self.segments[0]
        for segment in self.segments:
            if segment.elements.epoch > at:
                break
            chosen = segment
        return chosen


def parse_supgp(raw: RawResponse, now: datetime | None) -> SupGp:
    """The segments in `raw`, or `FeedError` saying why there are none."""
    # Segments are dated up to two weeks ahead: the TLE feed's "not after now" rule would
    # refuse them, so the sets are checked at their epochs (now=None) and the span here.
    sets = parse_element_sets(raw, None)
    if len(sets.sets) > MAX_SEGMENTS:
        raise FeedError(f"{len(sets.sets)} segments: more than {MAX_SEGMENTS} is not one fit")
    rms = _rms_by_epoch(raw.body)
    segments = tuple(SupGpSegment(s, rms.get(s.epoch)) for s in sets.sets)
    fit = SupGp(segments)
    if fit.start < ZARYA_LAUNCH:
        raise FeedError(f"a segment from {fit.start:%Y-%m-%d}, before the station was launched")
    if now is not None and fit.stop < ensure_utc(now) - MAX_STALE:
        raise FeedError(f"the last segment is from {fit.start:%Y-%m-%d}: an old fit")
    if now is not None and fit.start > ensure_utc(now) + MAX_START_AHEAD:
        # A fit runs from about now to two weeks ahead; one that begins later is not this one.
        raise FeedError(f"the first segment is dated {fit.start:%Y-%m-%d}, in the future")
    return fit


def _rms_by_epoch(body: str) -> dict[datetime, float]:
    """The RMS column, by the record's epoch, where the records carry one (`RMS`, in km)."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return {}
    records = data if isinstance(data, list) else [data]
    found: dict[datetime, float] = {}
    for record in records[: MAX_SEGMENTS + 1]:
        if not isinstance(record, dict):
            continue
        value, epoch = record.get("RMS"), record.get("EPOCH")
        if not isinstance(value, (int, float, str)):
            continue
        try:
            rms_km = float(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if isinstance(epoch, str) and math.isfinite(rms_km) and 0 <= rms_km <= _MAX_RMS_KM:
            try:
                found[parse_iso_utc(epoch)] = rms_km
            except ValueError:
                continue
    return found
