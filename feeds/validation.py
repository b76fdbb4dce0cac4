"""Turning pydantic's validation errors into one short line a person can read on screen."""

from __future__ import annotations

from pydantic import ValidationError


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
