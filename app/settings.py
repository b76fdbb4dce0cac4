"""Settings: defaults < TOML file < environment (`ISSDASH_...`) < command-line flags.

Each feed has `url`, `interval_s`, `timeout_s`, `enabled` (and `retry_max_s`). Nested values
use `__` in the environment, e.g. `ISSDASH_FEEDS__TLE__URL=file:///tmp/iss.tle`.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, Field, create_model, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from feeds.models import Observer
from feeds.registry import FEED_NAMES, FEEDS, FeedDef

__all__ = ["FEED_NAMES", "FeedSettings", "FeedsSettings", "Settings", "load_settings"]


class FeedSettings(BaseModel):
    """How to reach one feed and how often to ask it."""

    url: str
    interval_s: float = Field(gt=0, description="Seconds between polls when all is well.")
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Whole-request deadline.")
    enabled: bool = True
    retry_max_s: float = Field(default=900.0, gt=0, description="Longest backoff after failures.")


def _feed_settings(feed: FeedDef[object]) -> type[FeedSettings]:
    """One feed's settings, with the defaults and the interval floor of its registry entry."""
    return create_model(
        f"{feed.name.title()}Feed",
        __base__=FeedSettings,
        url=(str, feed.url),
        interval_s=(float, Field(default=feed.interval_s, ge=feed.min_interval_s)),
        timeout_s=(float, Field(default=feed.timeout_s, gt=0, le=300)),
        retry_max_s=(float, Field(default=feed.retry_max_s, gt=0)),
    )


class _FeedsBase(BaseModel):
    def get(self, name: str) -> FeedSettings:
        value = getattr(self, name)
        assert isinstance(value, FeedSettings)
        return value


# One field per registry entry (`feeds.tle`, `ISSDASH_FEEDS__TLE__URL`, ...): a new feed gets
# its settings from its entry alone. Type checkers see the base, which has `get(name)`.
if TYPE_CHECKING:
    FeedsSettings = _FeedsBase
else:
    FeedsSettings = create_model(
        "FeedsSettings",
        __base__=_FeedsBase,
        **{
            f.name: (model, Field(default_factory=model))
            for f in FEEDS
            for model in (_feed_settings(f),)
        },
    )


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


_CONFIG_FILE: ContextVar[Path | None] = ContextVar("issdash_config_file", default=None)


class Settings(BaseSettings):
    """Everything a user can set."""

    model_config = SettingsConfigDict(
        env_prefix="ISSDASH_", env_nested_delimiter="__", extra="ignore"
    )

    feeds: FeedsSettings = FeedsSettings()
    map: MapSettings = MapSettings()
    kiosk: KioskSettings = KioskSettings()
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
