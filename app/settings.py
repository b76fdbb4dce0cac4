"""Settings: defaults < TOML file < environment (`ISSDASH_...`) < command-line flags.

Each feed has `url`, `interval_s`, `timeout_s`, `enabled` (and `retry_max_s`). Nested values
use `__` in the environment, e.g. `ISSDASH_FEEDS__TLE__URL=file:///tmp/iss.tle`.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from feeds.models import Observer

FEED_NAMES = ("tle", "position", "crew", "astros", "docked", "launches", "dockings")
LL2 = "https://ll.thespacedevs.com/2.3.0"
CORQUAID = "https://corquaid.github.io/international-space-station-APIs/JSON"


class FeedSettings(BaseModel):
    """How to reach one feed and how often to ask it."""

    url: str
    interval_s: float = Field(gt=0, description="Seconds between polls when all is well.")
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Whole-request deadline.")
    enabled: bool = True
    retry_max_s: float = Field(default=900.0, gt=0, description="Longest backoff after failures.")


class TleFeed(FeedSettings):
    url: str = "https://celestrak.org/NORAD/elements/gp.php?CATNR=25544&FORMAT=JSON"
    # CelesTrak answers 403 to clients that ask more than once every two hours; the floor is
    # lower only so a local mirror or file can be polled faster.
    interval_s: float = Field(default=7200.0, ge=60.0)
    retry_max_s: float = 4 * 3600.0


class PositionFeed(FeedSettings):
    url: str = "https://api.wheretheiss.at/v1/satellites/25544"
    # wheretheiss.at allows about one request per second per client.
    interval_s: float = Field(default=5.0, ge=1.0)
    timeout_s: float = 5.0
    retry_max_s: float = 300.0


class CrewFeed(FeedSettings):
    url: str = f"{CORQUAID}/people-in-space.json"
    interval_s: float = Field(default=1800.0, ge=60.0)
    retry_max_s: float = 4 * 3600.0


class AstrosFeed(FeedSettings):
    url: str = "http://api.open-notify.org/astros.json"
    interval_s: float = Field(default=1800.0, ge=60.0)
    retry_max_s: float = 4 * 3600.0


class DockedFeed(FeedSettings):
    url: str = f"{CORQUAID}/iss-docked-spacecraft.json"
    interval_s: float = Field(default=1800.0, ge=60.0)
    retry_max_s: float = 4 * 3600.0


class LaunchesFeed(FeedSettings):
    url: str = f"{LL2}/launches/upcoming/?search=ISS&limit=10&mode=detailed"
    # Launch Library 2 allows ~15 anonymous requests an hour across all its endpoints; two
    # feeds at 20 min each is 6 an hour, and the runtime spaces the two feeds' requests at
    # least 10 min apart (app.runtime.SHARED_LIMITS_BY_HOST).
    interval_s: float = Field(default=1200.0, ge=600.0)
    retry_max_s: float = 3600.0


class DockingsFeed(FeedSettings):
    url: str = f"{LL2}/docking_events/?space_station_target__id=4&limit=10"
    interval_s: float = Field(default=1200.0, ge=600.0)
    retry_max_s: float = 3600.0


class FeedsSettings(BaseModel):
    tle: TleFeed = TleFeed()
    position: PositionFeed = PositionFeed()
    crew: CrewFeed = CrewFeed()
    astros: AstrosFeed = AstrosFeed()
    docked: DockedFeed = DockedFeed()
    launches: LaunchesFeed = LaunchesFeed()
    dockings: DockingsFeed = DockingsFeed()

    def get(self, name: str) -> FeedSettings:
        value = getattr(self, name)
        assert isinstance(value, FeedSettings)
        return value


class MapSettings(BaseModel):
    past_track_min: float = Field(default=45.0, ge=0, le=600, description="Track behind, minutes.")
    future_track_orbits: float = Field(default=1.5, ge=0, le=5, description="Track ahead, orbits.")


class KioskSettings(BaseModel):
    """For a screen on a wall that nobody touches for weeks."""

    unlock: str = Field(
        default="unlock", min_length=1, description="Type this, then Enter, to leave kiosk mode."
    )
    cycle_s: float = Field(default=20.0, ge=3, description="Seconds per emphasised view.")
    shift_s: float = Field(
        default=240.0, ge=10, description="Burn-in care: the layout moves a cell this often."
    )
    dim: str | None = Field(
        default=None,
        pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$",
        description='Local hours to dim the screen, e.g. "22:00-06:30".',
    )
    heartbeat_file: Path | None = Field(
        default=None, description="Touched every minute, for an external supervisor."
    )
    watchdog_s: float = Field(default=30.0, ge=1, description="How often pollers are checked.")


class ServeSettings(BaseModel):
    """`issdash serve`: who may open a session, and how many at once."""

    max_sessions: int = Field(
        default=16, ge=1, le=1000, description="Concurrent browser sessions; then a busy page."
    )
    trusted_origins: list[str] = Field(
        default_factory=list,
        description="Origins besides the served address whose pages may open a session, "
        'e.g. ["https://wall.example.org"] behind a proxy.',
    )


_CONFIG_FILE: ContextVar[Path | None] = ContextVar("issdash_config_file", default=None)


class Settings(BaseSettings):
    """Everything a user can set."""

    model_config = SettingsConfigDict(
        env_prefix="ISSDASH_", env_nested_delimiter="__", extra="ignore"
    )

    feeds: FeedsSettings = FeedsSettings()
    map: MapSettings = MapSettings()
    kiosk: KioskSettings = KioskSettings()
    serve: ServeSettings = ServeSettings()
    bus: str | None = Field(
        default=None,
        description="Where dashboards share one poller: redis://HOST:6379/0 (or the "
        "collector address `issdash serve` gives its sessions).",
    )
    log_file: Path = Field(
        default_factory=lambda: platformdirs.user_log_path("issdash") / "issdash.log",
        description="Warnings and errors go here (rotated at 1 MB, 3 kept).",
    )
    observer: Annotated[Observer | None, NoDecode] = Field(
        default=None, description='Where passes are predicted for: "LAT,LON[,ALT_M]".'
    )
    min_elevation_deg: float = Field(default=10.0, ge=0, le=89)
    elements_history: Path | None = Field(
        default=None,
        description="A file of past ISS element sets (OMM JSON list or TLE text) for "
        "`status --at` any time it covers.",
    )
    cache_dir: Path = Field(
        default_factory=lambda: platformdirs.user_cache_path("issdash"),
        description="Where the last good responses are kept.",
    )
    flags: Literal["emoji", "letters"] = Field(
        default="emoji", description="Country flags as emoji, or two letters for plain terminals."
    )
    timezone: str | None = Field(
        default=None,
        description='IANA zone for "local" times (e.g. "Europe/London"); default: the system\'s.',
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def tzinfo(self) -> tzinfo | None:
        """The zone for local times; None means the system's own."""
        return ZoneInfo(self.timezone) if self.timezone else None

    @field_validator("observer", mode="before")
    @classmethod
    def _parse_observer(cls, value: Any) -> Any:
        if isinstance(value, str):
            return Observer.parse(value) if value.strip() else None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_CONFIG_FILE.get())
        return (init_settings, env_settings, toml)


def default_config_path() -> Path:
    return platformdirs.user_config_path("issdash") / "config.toml"


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, the TOML file, the environment and `overrides` (CLI).

    An explicitly named config file must exist; the default one is optional.
    """
    if config is not None and not config.is_file():
        raise FileNotFoundError(f"config file not found: {config}")
    path = config if config is not None else default_config_path()
    token = _CONFIG_FILE.set(path if path.is_file() else None)
    try:
        return Settings(**overrides)
    finally:
        _CONFIG_FILE.reset(token)
