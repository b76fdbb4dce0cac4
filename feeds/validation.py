"""Turning pydantic's validation errors into one short line a person can read on screen."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from issdash.feeds.sources import FeedError, RawResponse

# Limits for JSON read from local files (cache, recordings): deeper or longer than anything
# the feeds send, far below what would exhaust the stack or the CPU.
MAX_JSON_DEPTH = 64
MAX_NUMBER_CHARS = 100


class JsonLimitError(ValueError):
    """JSON that parses but is beyond the limits (too deep, a number too long, NaN)."""


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonLimitError(f"a number of {len(text)} digits (limit {MAX_NUMBER_CHARS})")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonLimitError(f"a number of {len(text)} characters (limit {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimitError(f"{text} is out of range")
    return value


def _no_constant(text: str) -> Any:
    raise JsonLimitError(f"{text} is not a JSON number")


def loads_limited(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` with limits on nesting and number length; any problem is a ValueError
    (`json.JSONDecodeError` for bad syntax, `JsonLimitError` for the limits)."""
    try:
        data = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise JsonLimitError(f"nested more than {max_depth} levels deep") from None
    except UnicodeDecodeError as exc:
        raise JsonLimitError(f"not UTF-8 text ({exc.reason})") from None
    if nesting_depth(data) > max_depth:
        raise JsonLimitError(f"nested more than {max_depth} levels deep")
    return data


def nesting_depth(data: Any) -> int:
    """How deeply lists and dicts nest in `data` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((item, depth) for item in value if isinstance(item, (list, dict)))
    return deepest


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem, as "field: message", plus how many more there were."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "invalid data"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "value"
    text = f"{where}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        text += f" (+{len(errors) - 1} more)"
    return text


def json_body(raw: RawResponse, what: str) -> Any:
    """The response parsed as JSON, or `FeedError` saying plainly why not (an empty body, an
    HTML error page instead of `what`, or where the JSON breaks)."""
    text = raw.body.strip()
    if not text:
        raise FeedError("empty body")
    if text.startswith("<"):
        raise FeedError(f"got an HTML page, not {what}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(f"malformed JSON at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise FeedError("JSON nested too deeply") from None
    except ValueError:  # an integer of more than 4,300 digits (Python's conversion limit)
        raise FeedError("a number in the JSON is too long") from None


def json_object_with_list(raw: RawResponse, key: str, what: str) -> dict[str, Any]:
    """A JSON object whose `key` holds a list (the envelope every list feed answers with)."""
    data = json_body(raw, what)
    if not isinstance(data, dict):
        raise FeedError(f"expected a JSON object, got {type(data).__name__}")
    if not isinstance(data.get(key), list):
        raise FeedError(f"no {key} list in the response")
    return data


def unix_time(seconds: float | None) -> datetime | None:
    """A Unix time from a feed as an aware UTC datetime; None when absent, zero or negative
    (the feeds' "unknown") or beyond what a datetime can hold. Each adapter then applies its
    own plausibility window."""
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
