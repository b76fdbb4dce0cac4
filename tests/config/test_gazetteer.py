"""The gazetteer's index on disk (issdash.config.gazetteer): it answers as the JSON it was
built from would, is built once and reused, and a stale, corrupt or unwritable one is rebuilt
or bypassed, never read as if it were right. Small made-up gazetteers, not the 16.7 MB one."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.config.gazetteer import City, Sources, fold, open_gazetteer

# These tests build their own indexes of small made-up gazetteers in tmp_path/"cache", and
# count what is in it: the session's index (tests/conftest.py) stays out.
pytestmark = pytest.mark.own_gazetteer

COUNTRIES = {"NL": {"name": "Netherlands"}, "US": {"name": "United States"}}
STATES = {"MA": {"code": "MA", "name": "Massachusetts"}, "OR": {"code": "OR", "name": "Oregon"}}


def record(name: str, pop: int, country: str = "NL", admin1: str = "07", *alt: str) -> Any:
    return {
        "name": name,
        "latitude": 52.0 + pop / 1e7,
        "longitude": 5.123456789012345,
        "countrycode": country,
        "admin1code": admin1,
        "population": pop,
        "timezone": "Europe/Amsterdam" if country == "NL" else "America/New_York",
        "alternatenames": list(alt),
    }


def write_sources(folder: Path, cities: dict[str, Any]) -> Sources:
    folder.mkdir(parents=True, exist_ok=True)
    sources = Sources(folder / "cities.json", folder / "countries.json", folder / "states.json")
    sources.cities.write_text(json.dumps(cities), encoding="utf-8")
    sources.countries.write_text(json.dumps(COUNTRIES), encoding="utf-8")
    sources.us_states.write_text(json.dumps(STATES), encoding="utf-8")
    return sources


@pytest.fixture
def no_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds in this process (no Python to start a child with): what the index holds is the
    same either way, and a child costs ~0.1 s a build (see the tests of the child below)."""
    import sys

    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))


CITIES = {
    "1": record("Ede", 70000, "NL", "06", "Ede Gld"),
    "2": record("Boston", 650000, "US", "MA", "Beantown", "BOSTON"),
    "3": record("Ede", 60000, "NG", "30"),
    "4": record("The Hague", 500000, "NL", "11", "Den Haag", "'s-Gravenhage"),
    "5": record("Portland", 600000, "US", "OR", "Den Haag"),
}


def expected(records: dict[str, Any], key: str, own: bool) -> list[City]:
    """What the look-up always answered, straight from the JSON: cities in file order whose
    own name folds to `key` (own), or whose other names do and their own does not."""
    found = []
    for r in records.values():
        own_key = fold(r["name"])
        others = {fold(n) for n in r["alternatenames"]} - {own_key}
        if (own_key == key) if own else (key in others):
            found.append(
                City(
                    r["name"],
                    r["latitude"],
                    r["longitude"],
                    r["countrycode"],
                    r["admin1code"],
                    r["population"],
                    r["timezone"],
                )
            )
    return found


def assert_answers_as(sources_cities: dict[str, Any], gazetteer: Any) -> None:
    keys = {fold(r["name"]) for r in sources_cities.values()}
    keys |= {fold(n) for r in sources_cities.values() for n in r["alternatenames"]}
    for key in keys | {"nowhere"}:
        assert gazetteer.cities_named(key) == expected(sources_cities, key, own=True)
        assert gazetteer.cities_also_named(key) == expected(sources_cities, key, own=False)


def test_the_index_answers_as_the_json_and_is_built_once(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "data", CITIES)
    cache = tmp_path / "cache"
    gazetteer = open_gazetteer(sources, cache)
    assert_answers_as(CITIES, gazetteer)
    assert [c.country for c in gazetteer.cities_named("ede")] == ["NL", "NG"]  # file order
    assert gazetteer.cities_also_named("boston") == []  # its own name is not an other name
    assert gazetteer.countries["netherlands"] == "NL" and gazetteer.countries["usa"] == "US"
    assert gazetteer.us_states["massachusetts"] == "MA" and gazetteer.us_states["or"] == "OR"
    assert gazetteer.us_state_names["MA"] == "Massachusetts"
    gazetteer.close()
    (index,) = cache.iterdir()
    built = index.stat()
    again = open_gazetteer(sources, cache)
    assert_answers_as(CITIES, again)
    again.close()
    assert list(cache.iterdir()) == [index]
    assert (index.stat().st_ino, index.stat().st_mtime_ns) == (built.st_ino, built.st_mtime_ns)


def test_a_cache_dir_with_uri_characters_in_its_name(tmp_path: Path, no_child: None) -> None:
    sources = write_sources(tmp_path / "data", CITIES)
    cache = tmp_path / "odd ?mode=rw#dir%20"
    open_gazetteer(sources, cache).close()
    (index,) = cache.iterdir()
    built = index.stat()
    assert_answers_as(CITIES, open_gazetteer(sources, cache))
    assert index.stat().st_mtime_ns == built.st_mtime_ns  # read back, not rebuilt


def test_a_changed_source_is_never_answered_from_the_old_index(
    tmp_path: Path, no_child: None
) -> None:
    cache = tmp_path / "cache"
    sources = write_sources(tmp_path / "data", CITIES)
    open_gazetteer(sources, cache).close()
    changed = dict(CITIES, **{"6": record("Ede", 90000, "NL", "06")})
    sources = write_sources(tmp_path / "data", changed)
    gazetteer = open_gazetteer(sources, cache)
    assert_answers_as(changed, gazetteer)
    assert len(gazetteer.cities_named("ede")) == 3


def corrupt_index(cache: Path, how: str) -> None:
    (index,) = cache.iterdir()
    data = index.read_bytes()
    if how == "garbage":
        index.write_bytes(b"not a database at all" * 100)
    elif how == "truncated":
        index.write_bytes(data[: len(data) // 3])
    elif how == "empty":
        index.write_bytes(b"")
    else:  # a complete index, but of other sources (copied over from elsewhere)
        elsewhere = cache.parent / f"{how}-elsewhere"
        other = {"1": record("Ede", 1, "NL", "06"), "2": record("Nowhere", 5, "NL", "06", "Ede")}
        open_gazetteer(write_sources(elsewhere / "data", other), elsewhere / "cache").close()
        (other_index,) = (elsewhere / "cache").iterdir()
        index.write_bytes(other_index.read_bytes())


def test_a_corrupt_or_foreign_index_is_rebuilt(tmp_path: Path, no_child: None) -> None:
    sources = write_sources(tmp_path / "data", CITIES)
    for how in ("garbage", "truncated", "empty", "foreign"):
        cache = tmp_path / how
        open_gazetteer(sources, cache).close()
        corrupt_index(cache, how)
        gazetteer = open_gazetteer(sources, cache)
        assert_answers_as(CITIES, gazetteer)
        gazetteer.close()
        # Rebuilt in place, so the next start reads it again.
        again = open_gazetteer(sources, cache)
        assert_answers_as(CITIES, again)
        again.close()


def test_an_index_damaged_while_open_is_built_again(tmp_path: Path, no_child: None) -> None:
    sources = write_sources(tmp_path / "data", CITIES)
    cache = tmp_path / "cache"
    gazetteer = open_gazetteer(sources, cache)
    corrupt_index(cache, "garbage")
    assert_answers_as(CITIES, gazetteer)


def test_an_unwritable_cache_dir_still_answers(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "data", CITIES)
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert_answers_as(CITIES, open_gazetteer(sources, not_a_dir / "cache"))
    assert_answers_as(CITIES, open_gazetteer(sources, None))
    assert not_a_dir.read_text() == "x"


NAMES = st.sampled_from(["Ede", "ede", "Édé", "Den Haag", "den-haag", "Boston", "São Paulo", "X"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(NAMES, st.integers(0, 10**7), st.lists(NAMES, max_size=3)),
        max_size=8,
    )
)
def test_any_small_gazetteer_answers_as_its_json(
    tmp_path_factory: Any, rows: list[tuple[str, int, list[str]]]
) -> None:
    cities = {
        str(i): record(name, pop, "NL", "07", *alt) for i, (name, pop, alt) in enumerate(rows)
    }
    folder = tmp_path_factory.mktemp("g")
    # In memory: the same build as on disk (the tests above cover the file), without a sync.
    assert_answers_as(cities, open_gazetteer(write_sources(folder, cities), None))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_names_fold_as_any_other_name(text: str) -> None:
    """ASCII takes a shorter road through `fold`; a leading "é " sends the same text down the
    general one (NFKD, combining marks), and both must agree."""
    assert fold("é " + text) == " ".join(["e", fold(text)]).rstrip()
    assert fold(text) == fold(text).strip() and "  " not in fold(text)
    assert fold(text).isascii() and fold(text) == fold(text).lower()


def test_a_forked_child_answers_from_its_own_connection(tmp_path: Path) -> None:
    """A served session may be forked from a parent that already resolved a place: SQLite
    connections must not cross a fork, so the child opens the index again."""
    import os

    sources = write_sources(tmp_path / "data", CITIES)
    gazetteer = open_gazetteer(sources, tmp_path / "cache")
    assert_answers_as(CITIES, gazetteer)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, never return into pytest
        code = 1
        try:
            assert_answers_as(CITIES, gazetteer)
            code = 0 if len(gazetteer._inherited) == 1 else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"\x00" and status == 0
    os.close(read)
    assert gazetteer._inherited == []  # the parent's own connection is still its own
    assert_answers_as(CITIES, gazetteer)


def test_the_index_is_built_in_a_child_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON's parse peak stays out of the dashboard's process: here, building in this
    process fails, and the index is there all the same."""
    import issdash.config.gazetteer as gazetteer

    def no_fill(*_: object) -> None:
        raise AssertionError("built in the calling process")

    monkeypatch.setattr(gazetteer, "_fill", no_fill)
    sources = write_sources(tmp_path / "data", CITIES)
    assert_answers_as(CITIES, open_gazetteer(sources, tmp_path / "cache"))
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_no_child_process_still_builds_the_index_here(tmp_path: Path, no_child: None) -> None:
    sources = write_sources(tmp_path / "data", CITIES)
    assert_answers_as(CITIES, open_gazetteer(sources, tmp_path / "cache"))
    assert len(list((tmp_path / "cache").iterdir())) == 1


def folded_by_definition(text: str) -> str:
    """What `fold` means, one character at a time: NFKD, combining marks dropped, whatever
    else is not a letter or digit a space, case folded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.casefold().split())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_name_folds_as_its_definition_says(text: str) -> None:
    assert fold(text) == folded_by_definition(text)


def test_names_of_many_scripts_fold_as_their_definition_says() -> None:
    names = ["São Paulo", "Zürich", "Kraków", "Ålesund", "İstanbul", "Hà Nội", "Ærøskøbing"]
    names += ["Москва", "東京", "القاهرة", "ﬁn de siècle", "Straße", "Ｔｏｋｙｏ", "Łódź"]
    for name in names:
        assert fold(name) == folded_by_definition(name)
    assert fold("São Paulo") == "sao paulo" and fold("Straße") == "strasse"
