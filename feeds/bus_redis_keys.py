"""The Redis bus's keys, read within bounds, and what Redis's refusals mean in words.

A Redis value is read only after its size is known to be within the cap (STRLEN, or MEMORY
USAGE for a hash), and a string only up to the cap (GETRANGE), so a huge value stored by
anyone costs a joining dashboard nothing but a notice. A key of another type than the bus
writes is skipped and said, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from issdash.feeds.bus_wire import MAX_LINE_BYTES
from issdash.feeds.text import clean_text

PREFIX = "issdash"
CHANNEL = f"{PREFIX}:answers"
LEASE_KEY = f"{PREFIX}:lease"
# All the latest updates of a streamed feed (one per item: a few hundred short lines), and at
# least room for one entry of the largest a line may be.
MAX_HASH_BYTES = 2 * MAX_LINE_BYTES
# The lease holds a member id (16 hex digits); more than this is not ours, and not read.
LEASE_VALUE_BYTES = 64


def latest_key(feed: str) -> str:
    return f"{PREFIX}:latest:{feed}"


@dataclass
class KeyRead:
    """The lines a key held (each within the cap), or why none were taken."""

    lines: list[bytes] = field(default_factory=list)
    problem: str | None = None


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


async def read_latest(client: Any, key: str, *, streamed: bool) -> KeyRead:
    """The latest answer(s) kept in `key`: a string for a polled feed, a hash of item ->
    line for a streamed one. Bounded before reading; any other type is a problem."""
    kind = _text(await client.type(key))
    if kind == "none":
        return KeyRead()
    if kind == "string" and not streamed:
        size = int(await client.strlen(key))
        if size > MAX_LINE_BYTES:
            return KeyRead(problem=f"key {key} holds {_mb(size)}, over the cap: skipped")
        # GETRANGE's end is inclusive: one byte more than the cap tells a value that grew
        # since STRLEN, and is never more than that read.
        value = bytes(await client.getrange(key, 0, MAX_LINE_BYTES))
        if len(value) > MAX_LINE_BYTES:
            return KeyRead(problem=f"key {key} grew over the cap: skipped")
        return KeyRead([value])
    if kind == "hash" and streamed:
        size = await client.memory_usage(key, samples=0)
        if size is None or int(size) > MAX_HASH_BYTES:
            shown = "an unknown size" if size is None else _mb(int(size))
            return KeyRead(problem=f"key {key} holds {shown}, over the cap: skipped")
        values = (await client.hgetall(key)).values()
        lines = [bytes(v) for v in values if len(v) <= MAX_LINE_BYTES]
        skipped = len(values) - len(lines)
        problem = f"key {key}: {skipped} values over the cap skipped" if skipped else None
        return KeyRead(lines, problem)
    return KeyRead(problem=f"key {key} has the wrong type ({clean_text(kind, 20)}): skipped")


# Error replies that refuse a write but may let reads and PUBLISH through (a replica, a full
# or misconfigured Redis, an ACL without SET).
WRITE_REFUSALS = ("READONLY", "OOM", "MISCONF", "NOPERM")


# redis-py turns some error codes into exception classes and drops the code from the text.
_CLASS_CODES = {
    "ReadOnlyError": "READONLY",
    "NoPermissionError": "NOPERM",
    "OutOfMemoryError": "OOM",
    "AuthenticationError": "NOAUTH",
}


def error_code(exc: BaseException) -> str:
    """The error reply's code (READONLY, WRONGTYPE, ...), however the client raised it."""
    code = getattr(exc, "status_code", None)
    if isinstance(code, str) and code:
        return code
    for kind in type(exc).__mro__:
        if kind.__name__ in _CLASS_CODES:
            return _CLASS_CODES[kind.__name__]
    return str(exc).split(" ", 1)[0]


def refuses_writes(exc: BaseException) -> bool:
    return error_code(exc) in WRITE_REFUSALS


def refusal(exc: BaseException, address: str, key: str | None = None) -> str:
    """What a Redis error reply means, in words for the screen (not "unreachable": it
    answered)."""
    text = clean_text(exc, 160)
    code = error_code(exc)
    if code == "READONLY":
        return f"Redis at {address} is a read-only replica"
    if code == "WRONGTYPE":
        return f"key {key or PREFIX + ':...'} has the wrong type"
    if code in ("NOPERM", "NOAUTH", "WRONGPASS"):
        return f"Redis at {address} refused access ({code})"
    if code == "OOM":
        return f"Redis at {address} is out of memory"
    if code == "MISCONF":
        return f"Redis at {address} refuses writes (MISCONF)"
    return f"Redis at {address} refused: {text}"
