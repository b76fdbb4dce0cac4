"""Finding, without parsing their JSON, the lines of a recording written as `RecordingWriter`
writes them (feeds/recording_index.py's first pass): one regular expression for any line, and
for telemetry updates, nearly all of a large recording, numpy over a whole block at once.
Pure: bytes in, positions and fixed-width strings out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from issdash.feeds.localfiles import ANSWER_LINE_MAX_BYTES

# The longest line kept: an answer is at most the largest feed's cap (8 MB), JSON-escaped (as a
# cache file); a longer line is skipped without being held whole.
MAX_LINE_BYTES = ANSWER_LINE_MAX_BYTES

# A line as RecordingWriter writes it: the feed, the URL of a polled answer, the time, the item
# of a streamed update, ..., and a closing brace. No escapes in the feed, time or item (the
# full parse would turn them into other characters than the bytes seen here).
WRITER_LINE = re.compile(
    rb'^\{"feed": "([^"\\\n]{1,64})", (?:"url": "(?:[^"\\\n]|\\.)*", )?'
    rb'"received_at": "([^"\\\n]{1,40})"'
    rb'(?:, "item": "([^"\\\n]{1,200})", "fields": \{|(?!, "item"))[^\n]*\}$',
    re.MULTILINE,
)


_TEL = np.frombuffer(b'{"feed": "telemetry", "received_at": "', dtype=np.uint8)
_ITEM_SEP = np.frombuffer(b'", "item": "', dtype=np.uint8)
_FIELDS = np.frombuffer(b'", "fields": {', dtype=np.uint8)
# Bytes in which a time's closing quote must be (the writer's times have 20 or 24 characters),
# and an item's (ISSLIVE's names have 11 or 12); any other line goes the slower way.
_TIME_SPAN = 25
_ITEM_SPAN = 24


_SNAPSHOT_SLICE = 1 << 16


def _quoted(
    buf: npt.NDArray[np.uint8], start: npt.NDArray[np.intp], span: int
) -> tuple[npt.NDArray[np.bytes_], npt.NDArray[np.intp]]:
    """The strings that begin at each of `start` and end before a quote within `span` bytes,
    as fixed-width bytes (zero-padded), and their lengths (-1: no quote, or an escape)."""
    window = buf[np.minimum(start[:, None] + np.arange(span), buf.size - 1)]
    quote = window == 34
    length = np.where(quote.any(axis=1), quote.argmax(axis=1), -1)
    inside = np.arange(span)[None, :] < length[:, None]
    escaped = np.any(inside & (window == 92), axis=1)
    length = np.where(escaped, -1, length)
    text = np.ascontiguousarray(np.where(inside, window, 0).astype(np.uint8))
    return text.view(f"S{span}").ravel(), length


def telemetry_columns(
    buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bytes_], npt.NDArray[np.bytes_]]:
    """The rows (lines `starts[i]`..`ends[i]` of `buf`) that are telemetry updates exactly as
    the writer writes them, and their times and items as fixed-width bytes: the fixed start,
    a time and an item with no escapes, each closed by its quote, then the fields object to
    the line's end."""
    rows = np.flatnonzero(ends - starts > _TEL.size + _TIME_SPAN + _ITEM_SEP.size + 2)
    if not rows.size:
        return rows, np.empty(0, dtype="S1"), np.empty(0, dtype="S1")
    start = starts[rows]
    ok = np.all(buf[start[:, None] + np.arange(_TEL.size)] == _TEL, axis=1)
    rows, start = rows[ok], start[ok] + _TEL.size
    stamp, length = _quoted(buf, start, _TIME_SPAN)
    ok = length >= 10
    sep = start + length
    last = buf.size - 1
    ok &= np.all(
        buf[np.minimum(sep[:, None] + np.arange(_ITEM_SEP.size), last)] == _ITEM_SEP, axis=1
    )
    item_start = sep + _ITEM_SEP.size
    item, item_length = _quoted(buf, item_start, _ITEM_SPAN)
    ok &= (item_length > 0) & (item_start + item_length < ends[rows])
    # Then the fields object, to the line's end: `..."ITEM", "fields": {...}}`.
    fields = np.minimum((item_start + item_length)[:, None] + np.arange(_FIELDS.size), last)
    ok &= np.all(buf[fields] == _FIELDS, axis=1)
    ok &= buf[ends[rows] - 2] == 125
    return rows[ok], stamp[ok], item[ok]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_us(value: datetime) -> int:
    """Microseconds since 1970, exactly (no float rounding): how the index keeps times."""
    return (value - _EPOCH) // _MICROSECOND


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def distinct_ints(values: npt.NDArray[np.int64]) -> list[int]:
    """The distinct values, in increasing order: `np.unique(values).tolist()`, without
    `np.unique`, which imports `numpy.ma` (~8 ms of a start's CPU) to ask whether its argument
    is a masked array."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return []
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    distinct: list[int] = ordered[first].tolist()
    return distinct
