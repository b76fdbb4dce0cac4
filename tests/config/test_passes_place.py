"""Observer by place name and time zone (issdash.config.place), local times
(issdash.model.local_time), and the place setting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.config.place import PlaceError, resolve_place, with_timezone
from issdash.config.settings import SettingsError, load_settings
from issdash.feeds.values import Observer
from issdash.model.local_time import format_local, local_iso, zone_abbreviation


@pytest.mark.parametrize(
    ("name", "place", "zone", "lat", "lon"),
    [
        ("Amsterdam", "Amsterdam, NL", "Europe/Amsterdam", 52.37, 4.89),
        ("Boston, US", "Boston, Massachusetts, US", "America/New_York", 42.36, -71.06),
        ("Ede, NL", "Ede, NL", "Europe/Amsterdam", 52.03, 5.66),
        ("boston, massachusetts", "Boston, Massachusetts, US", "America/New_York", 42.36, -71.06),
        ("  sao   PAULO ", "São Paulo, BR", "America/Sao_Paulo", -23.55, -46.64),
        ("Paris, France", "Paris, FR", "Europe/Paris", 48.85, 2.35),
        ("Den Haag", "The Hague, NL", "Europe/Amsterdam", 52.08, 4.30),  # another name of it
    ],
)
def test_places_resolve_offline(name: str, place: str, zone: str, lat: float, lon: float) -> None:
    observer = resolve_place(name)
    assert observer.place == place
    assert observer.timezone == zone and observer.timezone_source == "place"
    assert observer.latitude_deg == pytest.approx(lat, abs=0.01)
    assert observer.longitude_deg == pytest.approx(lon, abs=0.01)


def test_a_clear_winner_is_taken_and_a_close_call_lists_candidates() -> None:
    # Boston, Massachusetts (650,000) against Boston, England (45,000): the one people mean.
    assert resolve_place("Boston").place == "Boston, Massachusetts, US"
    # Ede, Nigeria and Ede, the Netherlands are of a size: both listed, each as it resolves.
    with pytest.raises(PlaceError) as error:
        resolve_place("Ede")
    assert set(error.value.candidates) == {"Ede, NL", "Ede, NG"}
    assert "ambiguous" in str(error.value)
    for candidate in error.value.candidates:
        assert resolve_place(candidate).place is not None
    # Several in one country: the state tells them apart.
    with pytest.raises(PlaceError) as error:
        resolve_place("Portland")
    assert {"Portland, OR", "Portland, ME"} <= set(error.value.candidates)
    assert resolve_place("Portland, ME").timezone == "America/New_York"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Xyzzyville", "no place called"),
        ("Amsterdam, Peru", "no place called"),
        ("", "empty"),
        ("  ,  ", "empty"),
        ("Boston, !!", "no country or region"),
        ("Bos\x1b[31mton", "control"),
        ("A" * 500, "too long"),
    ],
)
def test_names_that_do_not_resolve_say_why(name: str, says: str) -> None:
    with pytest.raises(PlaceError, match=says):
        resolve_place(name)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_resolves_or_says_why(name: str) -> None:
    try:
        observer = resolve_place(name)
    except PlaceError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\x1b" not in message
        return
    assert observer.place and observer.timezone


def test_zone_from_coordinates_then_the_system() -> None:
    observer = with_timezone(Observer(latitude_deg=52.0, longitude_deg=5.0))
    assert (observer.timezone, observer.timezone_source) == ("Europe/Amsterdam", "coordinates")
    # A zone already known (from the place) is kept.
    ede = resolve_place("Ede, NL")
    assert with_timezone(ede) is ede


def test_system_zone_when_the_coordinates_have_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import issdash.config.place as place

    class NoZones:
        def timezone_at(self, *, lng: float, lat: float) -> None:
            return None

    monkeypatch.setattr(place, "_zone_finder", lambda: NoZones())
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    observer = with_timezone(Observer(latitude_deg=0.0, longitude_deg=-30.0))
    assert (observer.timezone, observer.timezone_source) == ("Asia/Tokyo", "system")


@pytest.mark.parametrize(
    "tz", ["America", "Europe", "x" * 300, "../zoneinfo", ":America"], ids=lambda tz: tz[:12]
)
def test_a_tz_naming_no_zone_file_falls_back_without_raising(
    monkeypatch: pytest.MonkeyPatch, tz: str
) -> None:
    """ZoneInfo("America") raises IsADirectoryError and a 300-character name OSError (not
    ZoneInfoNotFoundError): a $TZ like that ended any command whose observer fell back to
    the system's zone."""
    import issdash.config.place as place

    class NoZones:
        def timezone_at(self, *, lng: float, lat: float) -> None:
            return None

    monkeypatch.setattr(place, "_zone_finder", lambda: NoZones())
    monkeypatch.setenv("TZ", tz)
    observer = with_timezone(Observer(latitude_deg=0.0, longitude_deg=-30.0))
    assert observer.timezone_source == "system"
    assert observer.timezone is None or ZoneInfo(observer.timezone)


def test_local_times_say_the_zone_and_utc_once() -> None:
    t = datetime(2026, 11, 29, 19, 14, 30, tzinfo=UTC)
    cet = ZoneInfo("Europe/Amsterdam")
    assert format_local(t, cet, with_utc=True) == "20:14 CET (19:14Z)"
    assert format_local(t, cet, with_utc=False) == "20:14 CET"
    assert format_local(t, ZoneInfo("UTC"), with_utc=True) == "19:14 UTC"
    assert format_local(t, None, with_utc=True) == "19:14 UTC"
    summer = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    assert format_local(summer, ZoneInfo("America/New_York"), True) == "21:00 EDT (01:00Z)"
    # Zones whose tzdata has no letters get a clear offset, not "+0530".
    assert zone_abbreviation(t, ZoneInfo("Asia/Kolkata")) == "IST"
    assert zone_abbreviation(t, ZoneInfo("America/Sao_Paulo")) == "UTC-03"
    assert zone_abbreviation(t, ZoneInfo("Asia/Kathmandu")) == "UTC+05:45"
    assert local_iso(t, cet) == "2026-11-29T20:14:30+01:00"


def test_place_setting_from_config_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('place = "Ede, NL"\n')
    observer = load_settings(config).observer
    assert observer is not None and observer.place == "Ede, NL"
    monkeypatch.setenv("ISSDASH_PLACE", "Boston, US")
    observer = load_settings(config).observer  # the environment beats the file
    assert observer is not None and observer.timezone == "America/New_York"
    # A flag (an override) replaces the place.
    flagged = load_settings(config, observer="1,2", place=None).observer
    assert flagged == Observer(latitude_deg=1, longitude_deg=2)


def test_observer_and_place_together_in_settings_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('place = "Amsterdam"\nobserver = "1,2"\n')
    with pytest.raises(SettingsError, match=r"^place in .*: observer and place are both set"):
        load_settings(config)
    config.write_text('place = "Ede"\n')
    with pytest.raises(SettingsError, match=r"^place in .*: 'Ede' is ambiguous"):
        load_settings(config)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-90.0, max_value=90.0), st.floats(min_value=-180.0, max_value=180.0))
def test_every_point_on_earth_gets_a_zone(lat: float, lon: float) -> None:
    observer = with_timezone(Observer(latitude_deg=lat, longitude_deg=lon))
    assert observer.timezone_source in ("coordinates", "system")
    if observer.timezone is not None:
        ZoneInfo(observer.timezone)  # a real IANA zone
        t = datetime(2026, 1, 1, tzinfo=UTC)
        assert format_local(t, ZoneInfo(observer.timezone), True)
