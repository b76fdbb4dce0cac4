"""Times in the observer's zone, said the same way everywhere (CLI table, JSON, calendar). Pure.

"20:14 CET (19:14Z)": local time with the zone's abbreviation and UTC beside it; when the
zone is UTC itself, once: "19:14 UTC".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from issdash.feeds.clock import ensure_utc

__all__ = ["format_local", "is_utc", "local_iso", "zone_abbreviation"]


def is_utc(t: datetime, zone: tzinfo | None) -> bool:
    """Whether `zone` is UTC at `t` (no zone counts as UTC: nothing local to say)."""
    if zone is None:
        return True
    offset = ensure_utc(t).astimezone(zone).utcoffset()
    name = ensure_utc(t).astimezone(zone).tzname() or ""
    return offset == timedelta(0) and name.upper() in ("UTC", "Z", "GMT", "UCT", "ETC/UTC", "")


def zone_abbreviation(t: datetime, zone: tzinfo | None) -> str:
    """The zone's abbreviation at `t` ("CET", "EDT"); zones without one (tzdata writes their
    offset, "+0530" or "-03") are given as "UTC+05:30" / "UTC-03", never a bare number."""
    if zone is None:
        return "UTC"
    local = ensure_utc(t).astimezone(zone)
    name = local.tzname() or ""
    if name and name[0] not in "+-" and not name[0].isdigit():
        return name
    offset = local.utcoffset() or timedelta(0)
    total_min = int(offset.total_seconds() // 60)
    sign = "-" if total_min < 0 else "+"
    hours, minutes = divmod(abs(total_min), 60)
    return f"UTC{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def format_local(t: datetime, zone: tzinfo | None, with_utc: bool, *, seconds: bool = False) -> str:
    """ "20:14 CET (19:14Z)" (with_utc) or "20:14 CET"; "19:14 UTC" when the zone is UTC."""
    pattern = "%H:%M:%S" if seconds else "%H:%M"
    utc = ensure_utc(t)
    if is_utc(utc, zone):
        return f"{utc.strftime(pattern)} UTC"
    assert zone is not None
    local = utc.astimezone(zone)
    text = f"{local.strftime(pattern)} {zone_abbreviation(utc, zone)}"
    return f"{text} ({utc.strftime(pattern)}Z)" if with_utc else text


def local_iso(t: datetime, zone: tzinfo | None) -> str:
    """ISO 8601 with the zone's offset ("2026-11-29T20:14:05+01:00"), whole seconds."""
    return ensure_utc(t).astimezone(zone or UTC).replace(microsecond=0).isoformat()
