"""The zone at an observer's coordinates is kept in the cache dir (issdash.config.place), so
the next start does not build the finder again; a damaged cache file is ignored, never
believed."""

from __future__ import annotations

import pytest

import issdash.config.place as place
from issdash.config.place import with_timezone
from issdash.feeds.values import Observer


class CountingFinder:
    def __init__(self, zone: str | None) -> None:
        self.zone = zone
        self.asked: list[tuple[float, float]] = []

    def timezone_at(self, *, lng: float, lat: float) -> str | None:
        self.asked.append((lat, lng))
        return self.zone


@pytest.fixture
def finder(monkeypatch: pytest.MonkeyPatch) -> CountingFinder:
    counting = CountingFinder("Europe/Amsterdam")
    monkeypatch.setattr(place, "_zone_finder", lambda: counting)
    return counting


def test_the_zone_found_at_coordinates_is_asked_once(finder: CountingFinder) -> None:
    observer = Observer(latitude_deg=52.0, longitude_deg=5.0)
    first = with_timezone(observer)
    second = with_timezone(observer)
    assert first == second
    assert (second.timezone, second.timezone_source) == ("Europe/Amsterdam", "coordinates")
    assert finder.asked == [(52.0, 5.0)]
    # Other coordinates are asked for themselves.
    with_timezone(Observer(latitude_deg=52.0, longitude_deg=5.5))
    assert finder.asked == [(52.0, 5.0), (52.0, 5.5)]


def test_no_zone_at_the_coordinates_is_kept_too(
    finder: CountingFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder.zone = None
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    observer = Observer(latitude_deg=0.0, longitude_deg=-30.0)
    for _ in range(2):
        zoned = with_timezone(observer)
        assert (zoned.timezone, zoned.timezone_source) == ("Asia/Tokyo", "system")
    assert len(finder.asked) == 1


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[1, 2]",
        '{"52.0,5.0": 7}',
        '{"52.0,5.0": ["Europe/Paris"]}',
        '{"52.0,5.0": "Not/AZone"}',
        '{"52.0,5.0": "../../etc/passwd"}',
        "[" * 100_000 + "]" * 100_000,
        '{"52.0,5.0": "Europe/Paris", "pad": "' + "x" * 200_000 + '"}',
    ],
)
def test_a_damaged_cache_file_is_ignored(finder: CountingFinder, content: str) -> None:
    observer = Observer(latitude_deg=52.0, longitude_deg=5.0)
    with_timezone(observer)
    path = place._zone_cache_path()
    assert path is not None and path.is_file()
    path.write_text(content)
    zoned = with_timezone(observer)
    assert zoned.timezone == "Europe/Amsterdam"
    assert len(finder.asked) == 2  # asked again, not read from the damaged file


def test_the_real_finder_answers_the_same_from_the_cache() -> None:
    observer = Observer(latitude_deg=42.36, longitude_deg=-71.06)
    assert with_timezone(observer) == with_timezone(observer)
    assert with_timezone(observer).timezone == "America/New_York"


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_cache_path_that_is_no_regular_file_is_ignored_at_once(
    finder: CountingFinder, kind: str
) -> None:
    # A FIFO would block a plain read for ever, /dev/zero would be read without end.
    import os

    path = place._zone_cache_path()
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    zoned = with_timezone(Observer(latitude_deg=52.0, longitude_deg=5.0))
    assert zoned.timezone == "Europe/Amsterdam"
    assert finder.asked == [(52.0, 5.0)]
