"""Settings precedence: defaults < TOML < environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from issdash.config.settings import FEED_NAMES, SettingsError, load_settings
from issdash.feeds.values import Observer


def test_defaults_for_every_feed() -> None:
    settings = load_settings()
    for name in FEED_NAMES:
        feed = settings.feeds.get(name)
        assert feed.url.startswith(("http://", "https://"))
        assert feed.interval_s > 0 and feed.timeout_s > 0 and feed.enabled
    assert settings.feeds.tle.interval_s == 7200  # CelesTrak: not more than once every 2 h
    assert settings.feeds.position.interval_s == 5
    assert settings.observer is None


def test_environment_with_nested_delimiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "file:///tmp/iss.tle")
    monkeypatch.setenv("ISSDASH_FEEDS__POSITION__INTERVAL_S", "10")
    monkeypatch.setenv("ISSDASH_FEEDS__CREW__ENABLED", "false")
    monkeypatch.setenv("ISSDASH_OBSERVER", "51.5,-0.13,35")
    monkeypatch.setenv("ISSDASH_CACHE_DIR", "/tmp/somewhere")
    settings = load_settings()
    assert settings.feeds.tle.url == "file:///tmp/iss.tle"
    assert settings.feeds.tle.interval_s == 7200  # the rest of the feed keeps its defaults
    assert settings.feeds.position.interval_s == 10
    assert settings.feeds.crew.enabled is False
    assert settings.observer == Observer(latitude_deg=51.5, longitude_deg=-0.13, altitude_m=35)
    assert settings.cache_dir == Path("/tmp/somewhere")


def test_toml_file_then_env_then_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "issdash.toml"
    config.write_text(
        'observer = "10,20"\nmin_elevation_deg = 20\n'
        '[feeds.position]\nurl = "http://127.0.0.1:9/iss"\ninterval_s = 30\n'
    )
    settings = load_settings(config)
    assert settings.observer == Observer(latitude_deg=10, longitude_deg=20)
    assert settings.feeds.position.url == "http://127.0.0.1:9/iss"
    assert settings.min_elevation_deg == 20
    monkeypatch.setenv("ISSDASH_FEEDS__POSITION__INTERVAL_S", "15")
    assert load_settings(config).feeds.position.interval_s == 15  # env beats the file
    cli = load_settings(config, observer="1,2", feeds={"position": {"interval_s": 3}})
    assert cli.observer == Observer(latitude_deg=1, longitude_deg=2)  # flags beat both
    assert cli.feeds.position.interval_s == 3
    assert cli.feeds.position.url == "http://127.0.0.1:9/iss"  # deep-merged, not replaced


def test_default_config_file_in_platform_dir(tmp_path: Path) -> None:
    # conftest points XDG_CONFIG_HOME at tmp_path/config
    path = tmp_path / "config" / "issdash" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('observer = "-33.9,18.4"\n')
    assert load_settings().observer == Observer(latitude_deg=-33.9, longitude_deg=18.4)


def test_missing_named_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"nope\.toml: cannot read: no such file"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize("value", ["51.5", "north,south", "95,0", "10,200", "1,2,3,4"])
def test_bad_observer_is_rejected(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ISSDASH_OBSERVER", value)
    with pytest.raises(SettingsError, match=r"^ISSDASH_OBSERVER"):
        load_settings()


def test_position_polling_never_faster_than_once_a_second() -> None:
    with pytest.raises(SettingsError, match=r"interval_s must be at least 1 second; got 0\.5"):
        load_settings(feeds={"position": {"interval_s": 0.5}})
