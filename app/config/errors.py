"""Settings mistakes in words: which setting, where it was set, and what it allows.

Pydantic's own text ("1 validation error for Settings ... Input should be less than or equal
to 90") is written for programmers. Every error a user can cause in a setting (in the config
file, an `ISSDASH_` variable or a flag) is translated here, in one place, from the error's
location and the field's own declaration (its type and its bounds), so a new setting gets
its message without any code here: "ISSDASH_MIN_ELEVATION_DEG must be between 0 and 89
degrees; got '95'".
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MinLen
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from issdash.feeds.text import clean_text

# A unit suffix on a setting's name (units are in the names, see docs/architecture.md).
_UNITS = {
    "_deg": "degrees",
    "_s": "seconds",
    "_m": "metres",
    "_min": "minutes",
    "_km": "km",
    "_orbits": "orbits",
}

_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}

Locator = Callable[[tuple[str, ...]], tuple[str, tuple[str, ...]]]
"""Where a setting was given: for an error's location, the subject to name ("ISSDASH_OBSERVER",
"observer in config.toml", "--min-elevation") and the part of the location below it (the
latitude within an observer given as one string)."""


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """ "did you mean 'observer'? " when a valid name is close to `name`, else ""."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_key(name: str, key: str, valid: Sequence[str], where: str) -> str:
    """ "unknown key 'obsrever' in config.toml; did you mean 'observer'? valid keys: ..."."""
    shown = clean_text(name, 60)
    guess = did_you_mean(key, valid)
    return f"unknown key {shown!r} in {where}; {guess}valid keys: " + ", ".join(valid)


def describe_settings_error(
    exc: ValidationError, model: type[BaseModel], locate: Locator | None = None
) -> str:
    """The first problem of `exc` (raised validating `model`) as one line in words, and how
    many more there were."""
    errors = exc.errors(include_url=False)
    if not errors:
        return "invalid settings"
    first = errors[0]
    loc = tuple(str(part) for part in first.get("loc", ()))
    item = ""
    if loc and loc[-1].isdigit():  # an item of a list: the list is the setting
        item, loc = f", item {int(loc[-1]) + 1},", loc[:-1]
    subject, below = (locate or _plain)(loc)
    text = _sentence(first, model, loc, subject + item, below, bool(item))
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text


def _plain(loc: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """No source to name (a value checked on its own, e.g. a flag's): its parts by name."""
    return "", loc


def _sentence(
    error: Mapping[str, Any],
    model: type[BaseModel],
    loc: tuple[str, ...],
    subject: str,
    below: tuple[str, ...],
    in_list: bool = False,
) -> str:
    kind = str(error.get("type", ""))
    if below:  # a part of a value given as one string: "latitude" of "200,0"
        subject = f"{subject}: {_human(below[-1])}" if subject else _human(below[-1])
    subject = subject or "the value"
    field = _field_at(model, loc)
    if kind in ("value_error", "assertion_error"):
        # Our own validators' messages are already words for people.
        reason = (error.get("ctx") or {}).get("error")
        return f"{subject}: {clean_text(reason, 160)}" if reason else f"{subject} is not valid"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        valid = sorted(parent.model_fields) if parent is not None else []
        return unknown_key(subject, loc[-1] if loc else "", valid, "the settings")
    allowed = describe_allowed(field, loc[-1] if loc else "")
    if in_list and field is not None:
        args = get_args(_unwrap(field.annotation))
        allowed = _describe_type(args[0], field, loc[-1]) if args else allowed
    if kind == "missing":
        return f"{subject} is required: {allowed}"
    got = _shown(error.get("input"))
    if kind in _RANGE_ERRORS and field is not None:
        bounds = _bounds(field, loc[-1])
        if bounds:
            return f"{subject} must be {bounds}; got {got}"
    return f"{subject} must be {allowed}; got {got}"


def describe_allowed(field: FieldInfo | None, name: str) -> str:
    """What a field accepts, in words, from its type and bounds: "a number between 0 and 89
    degrees", "true or false", "one of 'emoji', 'letters'"."""
    if field is None:
        return "a valid value"
    return _describe_type(_unwrap(field.annotation), field, name)


def _describe_type(annotation: Any, field: FieldInfo, name: str) -> str:
    if annotation is bool:
        return "true or false"
    if annotation in (int, float):
        kind = "a whole number" if annotation is int else "a number"
        bounds = _bounds(field, name)
        return f"{kind} {bounds}" if bounds else kind
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(v) for v in get_args(annotation))
    if annotation is Path:
        return "a file or folder path"
    if get_origin(annotation) in (list, tuple):
        return "a list of texts (in the environment, JSON: '[\"...\"]')"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if field.description:  # a value written as one string, e.g. the observer
            return f"text like {_example(field.description)}"
        return "a table of settings with the keys " + ", ".join(sorted(annotation.model_fields))
    if annotation is str:
        lengths = [m.min_length for m in field.metadata if isinstance(m, MinLen)]
        pattern = next((p for m in field.metadata if (p := getattr(m, "pattern", None))), None)
        text = "non-empty text" if lengths and lengths[0] > 0 else "text"
        return f"{text} matching {pattern}" if pattern else text
    return "a valid value"


def _example(description: str) -> str:
    """The quoted example in a field's description ('... "LAT,LON[,ALT_M]".'), or it all."""
    parts = description.split('"')
    return f'"{parts[1]}"' if len(parts) >= 3 else description.rstrip(".")


def _bounds(field: FieldInfo, name: str) -> str:
    """ "between 0 and 89 degrees", "at least 1 seconds", "greater than 0 and at most 300
    seconds", or "" when the field has no bounds."""
    low: Any = None
    high: Any = None
    low_open = high_open = False
    for m in field.metadata:
        if isinstance(m, Ge):
            low = m.ge
        elif isinstance(m, Gt):
            low, low_open = m.gt, True
        elif isinstance(m, Le):
            high = m.le
        elif isinstance(m, Lt):
            high, high_open = m.lt, True
    if low is None and high is None:
        return ""
    lo, hi = _number(low), _number(high)
    if low is not None and high is not None:
        if not low_open and not high_open:
            text = f"between {lo} and {hi}"
        else:
            text = f"{'greater than' if low_open else 'at least'} {lo} and"
            text += f" {'less than' if high_open else 'at most'} {hi}"
    elif low is not None:
        text = f"{'greater than' if low_open else 'at least'} {lo}"
    else:
        text = f"{'less than' if high_open else 'at most'} {hi}"
    unit = _unit(name)
    if unit and text.endswith(" 1"):
        unit = unit.removesuffix("s")  # "at least 1 second"
    return f"{text} {unit}" if unit else text


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _unit(name: str) -> str:
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            return unit
    return ""


def _human(name: str) -> str:
    """A field's name without its unit suffix: latitude_deg -> latitude."""
    for suffix in _UNITS:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name.replace("_", " ")


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return clean_text(repr(value), 60)


def _unwrap(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings table (model) a field holds, if it holds one."""
    inner = _unwrap(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _model_at(model: type[BaseModel], loc: tuple[str, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or part not in current.model_fields:
            return None
        current = model_of(current.model_fields[part].annotation)
    return current


def _field_at(model: type[BaseModel], loc: tuple[str, ...]) -> FieldInfo | None:
    if not loc:
        return None
    parent = _model_at(model, loc[:-1])
    return parent.model_fields.get(loc[-1]) if parent is not None else None
