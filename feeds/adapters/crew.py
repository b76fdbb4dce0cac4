"""Adapters for the `crew` feed (corquaid people-in-space) and the `astros` feed (Open Notify).

Both become a `CrewReport`: everyone in space with what the source knows about them. Names and
other text are untrusted and cleaned here; nationality for a name that arrives without one
comes from the project's reference table, never from a guess.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from issdash.feeds.clock import ensure_utc
from issdash.feeds.names import NameIndex, lookup
from issdash.feeds.source_time import ahead_s, ahead_words, from_future
from issdash.feeds.sources import FeedError, RawResponse
from issdash.feeds.text import clean_text
from issdash.feeds.validation import describe_validation_error, json_object_with_list, unix_time
from issdash.feeds.values import FrozenModel, UtcDatetime

log = logging.getLogger(__name__)

CrewSource = Literal["corquaid", "open-notify"]
NAME_MAX_CHARS = 40
# Where a crew that is not on the ISS is, by the craft it flew up in.
_STATIONS_BY_CRAFT = (("shenzhou", "Tiangong"), ("tiangong", "Tiangong"))
# The longest single stay in space is 437 days: someone launched more than three years ago
# is not still up there, so such a launch time is a broken field.
MAX_MISSION = timedelta(days=3 * 365)
# More people than have ever been in space at once, several times over (the record is 20).
MAX_CREW_ENTRIES = 100


class CrewMember(FrozenModel):
    """One person in space, as a source reports them."""

    name: str = Field(min_length=1)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    agency: str | None = None
    role: str | None = None
    spacecraft: str | None = None
    launched: UtcDatetime | None = None
    on_iss: bool
    station: str
    prior_days: int | None = Field(default=None, ge=0, le=5000)

    @property
    def is_commander(self) -> bool:
        return bool(self.role and "commander" in self.role.lower())


class CrewReport(FrozenModel):
    """Everyone a source says is in space."""

    source: CrewSource
    people: tuple[CrewMember, ...]
    expedition: int | None = Field(default=None, ge=1, le=1000)

    @property
    def on_iss(self) -> tuple[CrewMember, ...]:
        return tuple(p for p in self.people if p.on_iss)


# The upstream shapes are built when an answer is first read (see FrozenModel).
class _CorquaidPerson(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)

    name: str
    country: str | None = None
    flag_code: str | None = None
    agency: str | None = None
    position: str | None = None
    spacecraft: str | None = None
    launched: float | None = None
    iss: bool | None = None
    days_in_space: int | None = None

    @field_validator(
        "name", "country", "flag_code", "agency", "position", "spacecraft", mode="before"
    )
    @classmethod
    def _text(cls, value: Any) -> Any:
        # A number is a fair name for a craft ("Crew 10"); a list or an object is not text
        # at all and must fail validation, not turn into its Python repr on screen.
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


class _CorquaidPeople(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)

    people: list[dict[str, Any]]
    iss_expedition: int | None = None


class _Astronaut(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    name: str
    craft: str | None = None


class _Astros(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    message: str = "success"
    people: list[dict[str, Any]]


def country_code(flag_code: str | None, name: str) -> str | None:
    """ISO alpha-2 from the feed's flag code if it is a real country, else the reference
    table's entry for the name, else None ("unknown nationality")."""
    if flag_code:
        code = flag_code.strip().upper()
        if len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code) is not None:
            return code
    person = lookup(name)
    return person.country if person else None


def station_for(craft: str | None, on_iss: bool) -> str:
    if on_iss:
        return "ISS"
    lowered = (craft or "").lower()
    for prefix, station in _STATIONS_BY_CRAFT:
        if lowered.startswith(prefix):
            return station
    return clean_text(craft, 24) if craft else "in orbit"


def _unix_or_none(seconds: float | None, now: datetime) -> datetime | None:
    when = unix_time(seconds)
    if when is None:
        return None
    now = ensure_utc(now)
    if when < now - MAX_MISSION:
        return None
    if from_future(when, now):
        # A launch that already happened cannot be later than the answer saying so: a broken
        # clock or a wrong row, so the date is not known (the person is kept).
        log.warning(
            "crew: a launch dated %s ahead of the answer; taken as unknown",
            ahead_words(ahead_s(when, now)),
        )
        return None
    return when


def _optional_text(value: str | None, max_chars: int) -> str | None:
    return clean_text(value, max_chars) or None if value else None


def dedupe_people(people: list[CrewMember]) -> tuple[CrewMember, ...]:
    """The same person listed twice (or spelt two ways) is kept once: the fuller entry.

    Each person is compared only with the kept entries that could name the same person
    (`NameIndex`), so a long list costs O(n), not O(n^2) comparisons.
    """
    kept: list[CrewMember] = []
    fullness: list[int] = []
    indexes = {True: NameIndex(), False: NameIndex()}
    where: dict[tuple[bool, int], int] = {}  # (on_iss, index position) -> position in kept
    for person in people:
        index = indexes[person.on_iss]
        found = index.find(person.name)
        fuller = sum(v is not None for v in person.model_dump().values())
        if found is None:
            where[(person.on_iss, index.add(person.name))] = len(kept)
            kept.append(person)
            fullness.append(fuller)
            continue
        i = where[(person.on_iss, found)]
        if fuller > fullness[i]:
            kept[i], fullness[i] = person, fuller
            index.replace(found, person.name)
    return tuple(kept)


def _capped(rows: list[Any], what: str) -> list[Any]:
    """The rows, if there are no more than MAX_CREW_ENTRIES: a list of thousands is not a
    crew but a broken or hostile answer, refused before any work per entry is done."""
    if len(rows) > MAX_CREW_ENTRIES:
        raise FeedError(
            f"implausible {what}: {len(rows)} people listed (at most {MAX_CREW_ENTRIES} expected)"
        )
    return rows


def parse_corquaid(raw: RawResponse, now: datetime) -> CrewReport:
    """corquaid people-in-space.json -> CrewReport."""
    data = json_object_with_list(raw, "people", "crew data")
    try:
        envelope = _CorquaidPeople.model_validate(data)
    except ValidationError as exc:
        raise FeedError(f"invalid crew data: {describe_validation_error(exc)}") from None
    people: list[CrewMember] = []
    skipped = 0
    for row in _capped(envelope.people, "crew data"):
        try:
            person = _CorquaidPerson.model_validate(row)
            name = clean_text(person.name, NAME_MAX_CHARS)
            if not name:
                raise ValueError("empty name")
            on_iss = bool(person.iss) if person.iss is not None else True
            people.append(
                CrewMember(
                    name=name,
                    country=country_code(person.flag_code, name),
                    agency=_optional_text(person.agency, 24),
                    role=_optional_text(person.position, 32),
                    spacecraft=_optional_text(person.spacecraft, 32),
                    launched=_unix_or_none(person.launched, now),
                    on_iss=on_iss,
                    station=station_for(person.spacecraft, on_iss),
                    prior_days=person.days_in_space
                    if person.days_in_space is not None and 0 <= person.days_in_space <= 5000
                    else None,
                )
            )
        except (ValidationError, ValueError, TypeError) as exc:
            skipped += 1
            log.warning("skipping a crew entry: %s", exc)
    if envelope.people and not people:
        raise FeedError(f"none of the {len(envelope.people)} crew entries is valid")
    expedition = envelope.iss_expedition
    if expedition is not None and not 0 < expedition <= 1000:
        expedition = None
    return CrewReport(source="corquaid", people=dedupe_people(people), expedition=expedition)


def parse_astros(raw: RawResponse, now: datetime) -> CrewReport:
    """Open Notify astros.json -> CrewReport (names and craft; nationality from the table)."""
    data = json_object_with_list(raw, "people", "crew data")
    try:
        envelope = _Astros.model_validate(data)
    except ValidationError as exc:
        raise FeedError(f"invalid astros data: {describe_validation_error(exc)}") from None
    if envelope.message != "success":
        raise FeedError(f"Open Notify says {clean_text(envelope.message, 60)!r}")
    people: list[CrewMember] = []
    for row in _capped(envelope.people, "astros data"):
        try:
            entry = _Astronaut.model_validate(row)
        except ValidationError as exc:
            log.warning("skipping an astros entry: %s", exc)
            continue
        name = clean_text(entry.name, NAME_MAX_CHARS)
        if not name:
            continue
        craft = clean_text(entry.craft, 24) if entry.craft else None
        on_iss = (craft or "").upper() == "ISS"
        known = lookup(name)
        people.append(
            CrewMember(
                name=name,
                country=known.country if known else None,
                agency=known.agency if known else None,
                on_iss=on_iss,
                station="ISS" if on_iss else (craft or "in orbit"),
            )
        )
    if envelope.people and not people:
        raise FeedError(f"none of the {len(envelope.people)} astros entries is valid")
    return CrewReport(source="open-notify", people=dedupe_people(people))
