"""The observer's zone is the settings' to give (Settings.zoned_observer, observer_zone):
looked up on first use, not at load, and once (the lookup by coordinates builds a
TimezoneFinder, ~145 ms)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

import issdash.config.place as place
from issdash.config.settings import load_settings
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
