"""Turning pydantic's validation errors into one short line a person can read on screen."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from feeds.sources import FeedError, RawResponse


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


def json_object_with_list(raw: RawResponse, key: str, what: str) -> dict[str, Any]:
    """A JSON object whose `key` holds a list (the envelope every list feed answers with)."""
    data = json_body(raw, what)
    if not isinstance(data, dict):
        raise FeedError(f"expected a JSON object, got {type(data).__name__}")
    if not isinstance(data.get(key), list):
        raise FeedError(f"no {key} list in the response")
    return data
