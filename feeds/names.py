"""Lenient matching of people's names across sources.

Feeds spell the same cosmonaut differently (Vagner/Wagner, Zubritsky/Zubritskii,
Aleksey/Alexey), shorten first names (Jonny/Jonathan, Don/Donald) and order Chinese names
either way. A person must be counted once, so names are compared by a folded key, through the
reference table's aliases, and finally by surname plus first initial.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# Letters NFKD does not decompose into ASCII.
_SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d"})
# Transliteration variants of Russian names, folded to one spelling per token. Order matters.
_TOKEN_RULES: tuple[tuple[str, str], ...] = (
    (r"x", "ks"),  # Alexey / Aleksey
    (r"w", "v"),  # Wagner / Vagner
    (r"(ii|iy|yi|yy)$", "y"),  # Zubritskii / Zubritsky, Dmitriy / Dmitry
    (r"ei$", "ey"),  # Sergei / Sergey
    (r"ie", "ye"),  # Kononyenko-style
    (r"j", "y"),  # Yury / Jurij
    (r"kh", "h"),  # Mikhail / Mihail
)
_QUOTED = re.compile(r"[\"“”‘’«»][^\"“”‘’«»]*[\"“”‘’«»]")  # nicknames: Nichole "Vapor" Ayers


@lru_cache(maxsize=4096)
def fold(name: str) -> tuple[str, ...]:
    """Name tokens, ASCII, lower case, transliteration-folded."""
    text = _QUOTED.sub(" ", name).translate(_SPECIAL)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z\s]", " ", text.replace("'", "").replace("’", ""))
    tokens = []
    for token in text.split():
        for pattern, replacement in _TOKEN_RULES:
            token = re.sub(pattern, replacement, token)
        tokens.append(token)
    return tuple(tokens)


@dataclass(frozen=True, slots=True)
class Person:
    """A row of the reference table."""

    name: str
    country: str
    agency: str


@cache
def reference_table() -> dict[tuple[str, ...], Person]:
    """Folded name (and each alias, and each in reversed word order) -> person."""
    path = resources.files("issdash.feeds.data") / "people.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    table: dict[tuple[str, ...], Person] = {}
    for row in data["people"]:
        person = Person(row["name"], row["country"], row["agency"])
        for spelling in [row["name"], *row.get("aliases", [])]:
            key = fold(spelling)
            table.setdefault(key, person)
            table.setdefault(tuple(reversed(key)), person)
    return table


def lookup(name: str) -> Person | None:
    """The reference-table entry for a name, or None. Never a guess."""
    return reference_table().get(fold(name))


def same_person(a: str, b: str) -> bool:
    """Whether two spellings name the same person."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa == fb or sorted(fa) == sorted(fb):
        return True
    pa, pb = lookup(a), lookup(b)
    if pa is not None and pb is not None:
        return pa == pb
    # Short forms: same surname and the same first initial (Jonny / Jonathan Kim).
    return len(fa) >= 2 and len(fb) >= 2 and fa[-1] == fb[-1] and fa[0][0] == fb[0][0]


def _match_keys(name: str) -> list[tuple[str, ...]]:
    """Keys such that `same_person(a, b)` implies a and b share at least one of them: the
    sorted folded tokens, the reference-table entry, and surname plus first initial."""
    folded = fold(name)
    if not folded:
        return []
    keys = [("tokens", *sorted(folded))]
    person = lookup(name)
    if person is not None:
        keys.append(("person", person.name))
    if len(folded) >= 2:
        keys.append(("short", folded[-1], folded[0][0]))
    return keys


class NameIndex:
    """Names added so far, found again by `same_person` without comparing each new name with
    all of them: a name is compared only with those sharing a key (see `_match_keys`).

    A bucket holds names that did not match each other; two names that share the short key
    but do not match are both in the reference table as different people, so no bucket grows
    past the table's size, and n names cost O(n) comparisons instead of O(n^2).
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: list[str] = []
        self._buckets: dict[tuple[str, ...], list[int]] = {}
        for name in names:
            self.add(name)

    def __len__(self) -> int:
        return len(self._names)

    def find(self, name: str) -> int | None:
        """The position of the first added name that names the same person, or None."""
        candidates: set[int] = set()
        for key in _match_keys(name):
            candidates.update(self._buckets.get(key, ()))
        for i in sorted(candidates):
            if same_person(name, self._names[i]):
                return i
        return None

    def add(self, name: str) -> int:
        """Add a name; returns its position."""
        self._names.append(name)
        position = len(self._names) - 1
        self._index(name, position)
        return position

    def replace(self, position: int, name: str) -> None:
        """Put `name` in place of the name at `position` (its old keys keep pointing here;
        `find` checks every candidate against the name now held)."""
        self._names[position] = name
        self._index(name, position)

    def _index(self, name: str, position: int) -> None:
        for key in _match_keys(name):
            bucket = self._buckets.setdefault(key, [])
            if not bucket or bucket[-1] != position:
                bucket.append(position)
