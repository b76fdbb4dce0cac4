"""What travels on the answer bus, checked before anything uses it.

Anything can arrive on a bus: a loopback line from a collector of another version, or whatever
anyone with access to the Redis publishes or stores. Every message is data: it is validated
here (pydantic, strict types, a size cap before parsing, a nesting limit in the JSON parser)
and either becomes an `Entry` or is skipped with a reason; nothing a message holds can raise
past `decode`. Callers count what was skipped (`Skips`) and say it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from issdash.feeds.clock import ensure_utc
from issdash.feeds.localfiles import ANSWER_LINE_MAX_BYTES
from issdash.feeds.recording import Entry
from issdash.feeds.text import clean_text

__all__ = ["FUTURE_SKEW_S", "MAX_LINE_BYTES", "Envelope", "Skips", "decode", "decode_envelope"]

# Longest accepted entry: a recorded answer is bounded by its feed's body cap (8 MB at most:
# NASA's trajectory), and JSON escaping can double that; the same cap holds on every bus
# (loopback line, Redis value, Redis message).
MAX_LINE_BYTES = ANSWER_LINE_MAX_BYTES
# An entry received this far ahead of our clock is from the future: two hosts' clocks differ
# by less than this under NTP, so beyond it the time is wrong, and a wrong time must not make
# an answer look fresh (or hold back newer ones).
FUTURE_SKEW_S = 5.0
# Kinds of reason counted apart (see Skips).
MAX_REASONS = 64


class _Answer(BaseModel):
    """A polled feed's answer or failure (Entry.to_json without an item)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    feed: StrictStr
    url: StrictStr = ""
    received_at: AwareDatetime
    status: StrictInt | None = None
    content_type: StrictStr = ""
    body: StrictStr | None = None
    error: StrictStr | None = None


class _Update(BaseModel):
    """A streamed feed's update of one item."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    feed: StrictStr
    received_at: AwareDatetime
    item: StrictStr
    fields: dict[StrictStr, StrictStr | None]


class Envelope(BaseModel):
    """A Redis bus message: who sent it, and the entry line or a hello (a member on a Redis
    that refuses writes saying it is there: see issdash.feeds.bus_redis)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    sender: Annotated[StrictStr, Field(alias="from", max_length=64)]
    entry: StrictStr | None = None
    hello: StrictBool = False


# An update is told apart by its item: tried first, so an answer never swallows one.
_WIRE: TypeAdapter[_Update | _Answer] = TypeAdapter(_Update | _Answer)
_ENVELOPE: TypeAdapter[Envelope] = TypeAdapter(Envelope)


class Skips:
    """Messages skipped, by reason, and how many were taken: every message is one or the
    other."""

    def __init__(self) -> None:
        self.by_reason: Counter[str] = Counter()
        self.taken = 0
        self.last: str | None = None

    def add(self, reason: str) -> None:
        # Reasons carry sizes and times: past this many kinds, the rest are counted together,
        # so a stream of junk cannot grow this without bound.
        key = reason if reason in self.by_reason or len(self.by_reason) < MAX_REASONS else "other"
        self.by_reason[key] += 1
        self.last = reason

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


def _problem(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[:1]
    if not first:
        return "not an entry"
    # The location can hold the message's own keys: cleaned and cut like any text from outside.
    where = clean_text(".".join(str(p) for p in first[0]["loc"][-2:]), 40) or "message"
    return f"not an entry ({where}: {clean_text(first[0]['type'], 40)})"


def decode(
    line: bytes | str, feeds: tuple[str, ...] | frozenset[str], now: datetime | None = None
) -> Entry | str:
    """An entry from one message, or why it is skipped (never an exception).

    `now`: our clock's time; an entry received more than FUTURE_SKEW_S after it is skipped
    (it could never be fresh, and would stand in the way of newer answers)."""
    if len(line) > MAX_LINE_BYTES:
        return f"entry of {len(line) / 1e6:.0f} MB, over the {MAX_LINE_BYTES / 1e6:.0f} MB cap"
    try:
        wire = _WIRE.validate_json(line)
    except ValidationError as exc:
        return _problem(exc)
    except (ValueError, TypeError, RecursionError):  # pydantic rejects, never crashes
        return "not an entry"
    if wire.feed not in feeds:
        return "an unknown feed"
    try:
        received_at = ensure_utc(wire.received_at)
    except (OverflowError, ValueError):  # year 1 at +01:00 is before year 1 in UTC
        return "a time out of range"
    if now is not None and received_at - now > timedelta(seconds=FUTURE_SKEW_S):
        ahead_s = (received_at - now).total_seconds()
        return f"{wire.feed} dated {ahead_s:.0f} s in the future"
    if isinstance(wire, _Update):
        return Entry(wire.feed, "", received_at, None, item=wire.item, fields=dict(wire.fields))
    if wire.error is None and wire.body is None:
        return "neither body nor error"
    return Entry(
        wire.feed,
        wire.url,
        received_at,
        wire.status,
        wire.content_type,
        wire.body if wire.error is None else None,
        wire.error,
    )


def decode_envelope(message: bytes | str) -> Envelope | str:
    """A Redis bus message's envelope, or why it is skipped (never an exception)."""
    if len(message) > MAX_LINE_BYTES + 1_000:
        return f"message of {len(message) / 1e6:.0f} MB, over the cap"
    try:
        envelope = _ENVELOPE.validate_json(message)
    except ValidationError as exc:
        return _problem(exc)
    except (ValueError, TypeError, RecursionError):
        return "not a bus message"
    if envelope.entry is None and not envelope.hello:
        return "neither an entry nor a hello"
    return envelope
