"""The observer's zone is the settings' to give (Settings.zoned_observer, observer_zone):
looked up on first use, not at load, and once (the lookup by coordinates builds a
TimezoneFinder, ~145 ms)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import issdash.config.place as place
from issdash.config.settings import SettingsError, load_settings
from issdash.feeds.values import Observer


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Observer]:
    """Every zone lookup the settings make, by the observer looked up."""
    seen: list[Observer] = []
    real = place.with_timezone

    def counting(observer: Observer) -> Observer:
        seen.append(observer)
        return real(observer)

    monkeypatch.setattr(place, "with_timezone", counting)
    return seen


def test_the_zone_is_looked_up_on_first_use_then_kept(lookups: list[Observer]) -> None:
    settings = load_settings(observer="52,5")
    assert lookups == []  # loading does not pay for it
    assert settings.observer == Observer(latitude_deg=52, longitude_deg=5)  # as given
    zoned = settings.zoned_observer()
    assert zoned is not None
    assert (zoned.timezone, zoned.timezone_source) == ("Europe/Amsterdam", "coordinates")
    assert (zoned.latitude_deg, zoned.longitude_deg) == (52, 5)
    assert settings.observer_zone() == ZoneInfo("Europe/Amsterdam")
    assert settings.zoned_observer() == zoned
    assert len(lookups) == 1


def test_a_copy_with_another_observer_looks_up_its_own(lookups: list[Observer]) -> None:
    settings = load_settings(observer="52,5")
    assert settings.observer_zone() == ZoneInfo("Europe/Amsterdam")
    same = settings.model_copy(update={"min_elevation_deg": 20.0})
    assert same.observer_zone() == ZoneInfo("Europe/Amsterdam")
    assert len(lookups) == 1  # the same observer: its zone came with the copy
    cape_town = Observer(latitude_deg=-33.9, longitude_deg=18.4)
    moved = settings.model_copy(update={"observer": cape_town})
    assert moved.observer_zone() == ZoneInfo("Africa/Johannesburg")
    assert settings.observer_zone() == ZoneInfo("Europe/Amsterdam")  # the original keeps its
    assert lookups[1:] == [cape_town]


def test_a_place_brings_its_own_zone() -> None:
    settings = load_settings(place="Boston, US")
    zoned = settings.zoned_observer()
    assert zoned is not None and zoned.place == "Boston, Massachusetts, US"
    assert (zoned.timezone, zoned.timezone_source) == ("America/New_York", "place")
    assert settings.observer_zone() == ZoneInfo("America/New_York")


def test_no_observer_no_zone(lookups: list[Observer]) -> None:
    settings = load_settings()
    assert settings.zoned_observer() is None
    assert settings.observer_zone() is None
    assert lookups == []


def test_the_system_zone_without_a_name_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """Coordinates with no zone (the open sea, say) and a system whose zone has no name:
    local times use the system's offset (None), never a guess."""

    class NoZones:
        def timezone_at(self, *, lng: float, lat: float) -> None:
            return None

    monkeypatch.setattr(place, "_zone_finder", lambda: NoZones())
    monkeypatch.setattr(place, "system_zone_name", lambda: None)
    settings = load_settings(observer="0,-30")
    zoned = settings.zoned_observer()
    assert zoned is not None and zoned.timezone_source == "system" and zoned.timezone is None
    assert settings.observer_zone() is None


@pytest.mark.parametrize("zone", ["Nowhere/X", "Europe", "../../../etc/passwd"])
def test_an_observer_given_an_unknown_zone_is_a_settings_error(
    tmp_path: Path, zone: str, lookups: list[Observer]
) -> None:
    """`[observer] timezone = "Nowhere/X"` crashed `issdash passes` (ZoneInfoNotFoundError,
    exit 1) and the refactored lookup replaced it silently with the coordinates' zone."""
    config = tmp_path / "c.toml"
    config.write_text(
        f'[observer]\nlatitude_deg = 42.36\nlongitude_deg = -71.06\ntimezone = "{zone}"\n'
    )
    with pytest.raises(SettingsError, match="unknown time zone"):
        load_settings(config)
    assert lookups == []


def test_an_observer_given_an_empty_zone_has_the_one_at_its_coordinates(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[observer]\nlatitude_deg = 42.36\nlongitude_deg = -71.06\ntimezone = ""\n')
    settings = load_settings(config)
    assert settings.observer is not None and settings.observer.timezone is None
    zoned = settings.zoned_observer()
    assert zoned is not None and zoned.timezone == "America/New_York"


def test_an_observer_given_a_known_zone_keeps_it(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[observer]\nlatitude_deg = 42.36\nlongitude_deg = -71.06\ntimezone = "Asia/Tokyo"\n'
    )
    zoned = load_settings(config).zoned_observer()
    assert zoned is not None and zoned.timezone == "Asia/Tokyo"
