"""Settings: defaults < TOML file < environment (`ISSDASH_...`) < command-line flags.

Each feed has `url`, `interval_s`, `timeout_s`, `enabled` (and `retry_max_s`). Nested values
use `__` in the environment, e.g. `ISSDASH_FEEDS__TLE__URL=file:///tmp/iss.tle`.

Settings mean what they say: the config file is read within limits (a regular file of at most
`CONFIG_MAX_BYTES`, nesting and numbers bounded), an unknown key in it or an unknown
`ISSDASH_` variable is an error that lists the valid ones, and every value (times, ranges,
zones) is parsed here, at load, never later on a timer.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as SourceError

from issdash.config.errors import (
    describe_allowed,
    describe_settings_error,
    did_you_mean,
    model_of,
    unknown_key,
)
from issdash.feeds.localfiles import CONFIG_MAX_BYTES, LocalFileError, read_bounded
from issdash.feeds.registry import FEED_NAMES, FEEDS, FeedDef
from issdash.feeds.text import clean_text
from issdash.feeds.validation import nesting_depth
from issdash.feeds.values import Observer

# `Settings.tzinfo` (a method) hides the type's name inside the class.
TimeZone = tzinfo

# Deeper than any real setting (feeds.tle.url is 3 levels), far from the stack's limit.
MAX_CONFIG_DEPTH = 8


def _usable_path(value: Path) -> Path:
    """A path the program can open: no NUL character (the system refuses it later, as a
    crash), and absolute, so it means the same wherever it is used (a file URI needs one)."""
    if "\x00" in str(value):
        raise ValueError("a path cannot contain a NUL character")
    return value.absolute()


# Every path setting: files and folders named in settings.
LocalPath = Annotated[Path, AfterValidator(_usable_path)]


class SettingsError(ValueError):
    """The settings cannot be used; the message is one line naming the file, key or variable."""


class _Model(BaseModel):
    # An unknown key is a mistake to report, not something to drop; inf and NaN are no
    # interval or elevation anyone means.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


__all__ = [
    "ALL_FEEDS",
    "FEED_NAMES",
    "STREAM_NAMES",
    "FeedSettings",
    "FeedsSettings",
    "Settings",
    "load_settings",
]

# Streamed feeds (a session pushes updates; see issdash.core.station_feed), reported only when on.
# They are not registry entries yet: the registry describes polled feeds (see docs/architecture.md).
STREAM_NAMES = ("telemetry",)
ALL_FEEDS = FEED_NAMES + STREAM_NAMES


class FeedSettings(_Model):
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


class TelemetryFeed(FeedSettings):
    """NASA's ISSLIVE over Lightstreamer: a stream, not polled. `url` is the Lightstreamer
    server; `interval_s` is how long without any update before the data counts as stale (the
    attitude ticks every second while the station has signal)."""

    url: str = "https://push.lightstreamer.com"
    adapter_set: str = Field(default="ISSLIVE", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    interval_s: float = Field(default=10.0, ge=1.0)
    timeout_s: float = 15.0
    retry_max_s: float = 300.0


class _FeedsBase(_Model):
    if TYPE_CHECKING:  # the streamed feed's own settings (the others are read with `get`)
        telemetry: TelemetryFeed = TelemetryFeed()

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
        telemetry=(TelemetryFeed, Field(default_factory=TelemetryFeed)),
    )


class MapSettings(_Model):
    past_track_min: float = Field(default=45.0, ge=0, le=600, description="Track behind, minutes.")
    future_track_orbits: float = Field(default=1.5, ge=0, le=5, description="Track ahead, orbits.")


class KioskSettings(_Model):
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
        description='Local hours to dim the screen, e.g. "22:00-06:30".',
    )
    heartbeat_file: LocalPath | None = Field(
        default=None, description="Touched every minute, for an external supervisor."
    )
    watchdog_s: float = Field(default=30.0, ge=1, description="How often pollers are checked.")

    @field_validator("dim")
    @classmethod
    def _dim_range(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_time_range(value)
            return value.strip()
        return None

    def dim_range(self) -> tuple[time, time] | None:
        """The dim schedule as (start, end) local times; None when there is none."""
        return parse_time_range(self.dim) if self.dim else None


class AlertsSettings(_Model):
    """Pass alerts in the dashboard (issue 17): before a visible pass and as it appears."""

    enabled: bool = Field(
        default=True, description="Alert before visible passes (needs an observer)."
    )
    lead_min: float = Field(
        default=10.0, ge=0, le=180, description="Minutes before a visible pass to alert."
    )
    bell: bool = Field(default=True, description="Ring the terminal bell.")
    desktop: bool = Field(
        default=True,
        description="Desktop notification by terminal escape (OSC 9 and OSC 777); "
        "never in a browser session.",
    )
    command: list[str] | None = Field(
        default=None,
        description="A program to run on each alert, as an argv list (no shell), e.g. "
        '["notify-send", "ISS"]; the message is its last argument.',
    )
    command_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="The command is stopped after this long."
    )


class ServeSettings(BaseModel):
    """`issdash serve`: who may open a session, and how many at once."""

    max_sessions: int = Field(
        default=16, ge=1, le=1000, description="Concurrent browser sessions; then a busy page."
    )
    # A lambda, not `list`: pydantic reads the factory's signature, and a builtin's is parsed
    # from text with the tokenizer, whose first use compiles its large pattern (~3 ms at start).
    trusted_origins: list[str] = Field(
        default_factory=lambda: [],
        description="Origins besides the served address whose pages may open a session, "
        'e.g. ["https://wall.example.org"] behind a proxy.',
    )
    fork: bool = Field(
        default=True,
        description="Fork each session from one warm parent process that has imported and "
        "loaded what every session needs (faster, far less memory); false: each session "
        "starts as its own process.",
    )


_HOUR_MINUTE = re.compile(r"(\d{1,2}):(\d{2})")


def parse_time_range(text: str) -> tuple[time, time]:
    """ "22:00-06:30" as two times of day (24:00 is midnight); ValueError when it is not one."""
    parts = text.strip().split("-")
    if len(parts) != 2:
        raise ValueError(f"not a time range: {clean_text(text, 40)!r} (try 22:00-06:30)")
    times = []
    for part in parts:
        match = _HOUR_MINUTE.fullmatch(part.strip())
        hours, minutes = (int(match[1]), int(match[2])) if match else (-1, -1)
        if not (0 <= hours <= 23 and 0 <= minutes <= 59) and (hours, minutes) != (24, 0):
            raise ValueError(
                f"not a time of day: {clean_text(part, 20)!r} in {clean_text(text, 40)!r}"
                " (HH:MM, 00:00 to 24:00)"
            )
        times.append(time(hours % 24, minutes))
    return times[0], times[1]


_CONFIG_DATA: ContextVar[dict[str, Any] | None] = ContextVar("issdash_config_data", default=None)


class _ConfigFileSource(PydanticBaseSettingsSource):
    """The config file's table, already read and checked by `read_config`."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ gives the whole table

    def __call__(self) -> dict[str, Any]:
        return dict(_CONFIG_DATA.get() or {})


class Settings(BaseSettings):
    """Everything a user can set."""

    model_config = SettingsConfigDict(
        env_prefix="ISSDASH_", env_nested_delimiter="__", extra="forbid", allow_inf_nan=False
    )

    feeds: FeedsSettings = FeedsSettings()
    map: MapSettings = MapSettings()
    kiosk: KioskSettings = KioskSettings()
    serve: ServeSettings = ServeSettings()
    alerts: AlertsSettings = AlertsSettings()
    bus: str | None = Field(
        default=None,
        description="Where dashboards share one poller: redis://HOST:6379/0 (or the "
        "collector address `issdash serve` gives its sessions).",
    )
    log_file: LocalPath = Field(
        default_factory=lambda: platformdirs.user_log_path("issdash") / "issdash.log",
        description="Warnings and errors go here (rotated at 1 MB, 3 kept).",
    )
    observer: Annotated[Observer | None, NoDecode] = Field(
        default=None, description='Where passes are predicted for: "LAT,LON[,ALT_M]".'
    )
    place: str | None = Field(
        default=None,
        description='Where passes are predicted for, by name: "Amsterdam", "Boston, US" '
        "(a city of the offline gazetteer; instead of `observer`, not with it).",
    )
    min_elevation_deg: float = Field(default=10.0, ge=0, le=89)
    elements_history: LocalPath | None = Field(
        default=None,
        description="A file of past ISS element sets (OMM JSON list or TLE text) for "
        "`status --at` any time it covers.",
    )
    cache_dir: LocalPath = Field(
        default_factory=lambda: platformdirs.user_cache_path("issdash"),
        description="Where the last good responses are kept.",
    )
    flags: Literal["auto", "emoji", "letters"] = Field(
        default="auto",
        description="Country flags as emoji, or two letters; auto: letters on the Linux console "
        "and in a browser (many have no flag font), emoji elsewhere.",
    )
    glyphs: Literal["auto", "unicode", "console"] = Field(
        default="auto",
        description="console: only characters the Linux console font has (the map in block "
        "elements); auto: console when TERM=linux.",
    )
    timezone: str | None = Field(
        default=None,
        description='IANA zone for "local" times (e.g. "Europe/London"); default: the system\'s.',
    )
    # The observer and its zone, once looked up (see zoned_observer).
    _zoned: tuple[Observer, Observer] | None = PrivateAttr(default=None)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            _check_zone(value)
        return value

    def tzinfo(self) -> tzinfo | None:
        """The zone for local times; None means the system's own."""
        return ZoneInfo(self.timezone) if self.timezone else None

    @field_validator("place")
    @classmethod
    def _known_place(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A place must resolve (a name not found or ambiguous is an error listing the
        candidates), and not come with an observer from the same layers: a command-line
        flag replaces the other (see cli), the config and environment may give only one."""
        if value is None or not value.strip():
            return None
        if info.data.get("observer") is not None:
            raise ValueError(
                "observer and place are both set; keep one (a --observer or --place flag "
                "replaces the other's setting)"
            )
        from issdash.config.place import resolve_place

        resolve_place(value)  # PlaceError (a ValueError) names the problem, under "place"
        return value.strip()

    @model_validator(mode="after")
    def _resolve_place(self) -> Settings:
        """`place` becomes the observer, with the place's zone, here at load."""
        if self.place is not None:
            from issdash.config.place import resolve_place

            self.observer = resolve_place(self.place)
        return self

    @field_validator("observer", mode="before")
    @classmethod
    def _parse_observer(cls, value: Any) -> Any:
        if isinstance(value, str):
            from issdash.config.place import parse_observer

            return parse_observer(value) if value.strip() else None
        return value

    @field_validator("observer")
    @classmethod
    def _observer_zone_known(cls, value: Observer | None) -> Observer | None:
        """An observer given with a zone (an `[observer]` table's `timezone`) is checked here,
        at load, like the `timezone` setting: an unknown one is a settings error, not a crash
        of `passes` (ZoneInfo) nor a zone the dashboard silently replaces; an empty one is no
        zone (the one at the coordinates, as the dashboard always took it)."""
        if value is None or value.timezone is None:
            return value
        if not value.timezone.strip():
            return value.model_copy(update={"timezone": None, "timezone_source": None})
        _check_zone(value.timezone)
        return value

    def zoned_observer(self) -> Observer | None:
        """The observer with its time zone: its place's, else the one at its coordinates, else
        the system's (`timezone_source` says which). Looked up on first use, not at load: the
        lookup by coordinates builds a TimezoneFinder (~145 ms), which only what shows pass
        times needs. Kept with the observer it was looked up for (a copy of these settings
        with another observer looks up its own)."""
        observer = self.observer
        if observer is None:
            return None
        if self._zoned is None or self._zoned[0] != observer:
            from issdash.config.place import with_timezone

            self._zoned = (observer, with_timezone(observer))
        return self._zoned[1]

    def observer_zone(self) -> TimeZone | None:
        """The observer's zone (see `zoned_observer`); None: no observer, or the system's
        zone, which has no name here (local times then use the system's offset)."""
        observer = self.zoned_observer()
        return ZoneInfo(observer.timezone) if observer is not None and observer.timezone else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ConfigFileSource(settings_cls))


def _check_zone(name: str) -> None:
    """Raise ValueError (a settings error in words) unless `name` is a zone this machine has."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe": IsADirectoryError
        raise ValueError(f"unknown time zone {name[:60]!r}") from None


def default_config_path() -> Path:
    return platformdirs.user_config_path("issdash") / "config.toml"


def load_settings(
    config: Path | None = None, *, flags: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build settings from defaults, the TOML file, the environment and `overrides` (CLI).

    An explicitly named config file must exist; the default one is optional. Raises
    `SettingsError`, one line in words, for anything that cannot be used: a file, a key, a
    variable or a value (`flags` names the command-line flag each override came from, for
    those messages).
    """
    if config is None:
        default = default_config_path()
        config = default if os.path.lexists(default) else None
    data = read_config(config) if config is not None else {}
    check_environment(os.environ)
    token = _CONFIG_DATA.set(data)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        locate = _locator(config, data, os.environ, overrides, flags or {})
        raise SettingsError(describe_settings_error(exc, Settings, locate)) from None
    except SourceError:  # pydantic-settings could not decode a variable (JSON for a list)
        raise SettingsError(_undecodable_variable(os.environ)) from None
    finally:
        _CONFIG_DATA.reset(token)


def _locator(
    config: Path | None,
    data: Mapping[str, Any],
    environ: Mapping[str, str],
    overrides: Mapping[str, Any],
    flags: Mapping[str, str],
) -> Any:
    """Where the setting at an error's location was given, by precedence: a flag, an
    `ISSDASH_` variable, the config file. A value given as one string (the observer) is
    named as given, with the part that is wrong below it."""
    variables = {name.upper() for name in environ}

    def locate(loc: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        for depth in range(len(loc), 0, -1):
            key, below = loc[:depth], loc[depth:]
            if _dig(overrides, key) is not _MISSING:
                return (flags.get(key[0], ".".join(key)) if depth == 1 else ".".join(key)), below
            variable = "ISSDASH_" + "__".join(key).upper()
            if variable in variables:
                return variable, below
            if _dig(data, key) is not _MISSING:
                return f"{'.'.join(key)} in {config}", below
        return ".".join(loc) or "a setting", ()

    return locate


_MISSING = object()


def _dig(table: Mapping[str, Any], key: tuple[str, ...]) -> Any:
    value: Any = table
    for part in key:
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _undecodable_variable(environ: Mapping[str, str]) -> str:
    """pydantic-settings says only which top-level field it could not decode; name the
    variable, and what it should hold."""
    for name in sorted(environ):
        if not name.upper().startswith("ISSDASH_"):
            continue
        parts = tuple(name[len("ISSDASH_") :].lower().split("__"))
        model: type[BaseModel] | None = Settings
        for part in parts[:-1]:
            model = model_of(model.model_fields[part].annotation) if model else None
        field = model.model_fields.get(parts[-1]) if model else None
        if field is None:
            continue
        try:
            json.loads(environ[name])
        except ValueError:
            table = model_of(field.annotation)
            if table is not None:
                return (
                    f"{name}: not JSON for a table of settings; set its keys one at a time"
                    f" ({name}__<KEY>, keys: {', '.join(sorted(table.model_fields))})"
                )
            if "list" in str(field.annotation) or "dict" in str(field.annotation):
                return f"{name} must be {describe_allowed(field, parts[-1])}"
    return "an ISSDASH_ variable could not be read (a list must be written as JSON)"


def read_config(path: Path) -> dict[str, Any]:
    """The config file as a checked table: a regular file under the size cap, valid TOML
    within the nesting limit, and only keys that exist."""
    try:
        data = read_bounded(path, "config file", CONFIG_MAX_BYTES)
    except LocalFileError as exc:
        raise SettingsError(str(exc)) from None
    # Imported here: most starts have no config file, and the parser is not needed for them.
    import tomllib

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(f"config file {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)".
        raise SettingsError(f"config file {path}: {clean_text(exc, 200)}") from None
    except RecursionError:
        raise SettingsError(f"config file {path}: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise SettingsError(f"config file {path}: {clean_text(exc, 120)}") from None
    if nesting_depth(table) > MAX_CONFIG_DEPTH:
        raise SettingsError(f"config file {path}: nested more than {MAX_CONFIG_DEPTH} levels deep")
    _check_keys(table, Settings, path, ())
    return table


def _check_keys(
    table: Mapping[str, Any], model: type[BaseModel], path: Path, where: tuple[str, ...]
) -> None:
    for key, value in table.items():
        field = model.model_fields.get(key)
        if field is None:
            place = f"[{'.'.join(where)}] of {path}" if where else str(path)
            raise SettingsError(
                unknown_key(".".join((*where, key)), key, sorted(model.model_fields), place)
            )
        sub = model_of(field.annotation)
        if sub is not None and isinstance(value, Mapping):
            _check_keys(value, sub, path, (*where, key))


def check_environment(environ: Mapping[str, str]) -> None:
    """An `ISSDASH_` variable that names no setting is a mistake (a typo would otherwise be
    silently ignored)."""
    for name in environ:
        if not name.upper().startswith("ISSDASH_"):
            continue
        parts = name[len("ISSDASH_") :].lower().split("__")
        model: type[BaseModel] | None = Settings
        for depth, part in enumerate(parts):
            if model is None:
                break  # below a plain value: pydantic reports it
            field = model.model_fields.get(part)
            if field is None:
                prefix = "ISSDASH_" + "__".join(p.upper() for p in parts[:depth])
                prefix += "__" if depth else ""
                names = [prefix + f.upper() for f in sorted(model.model_fields)]
                guess = did_you_mean(name.upper(), names)
                raise SettingsError(
                    f"unknown setting {clean_text(name, 60)} in the environment; {guess}"
                    f"valid: {', '.join(names)}"
                )
            model = model_of(field.annotation)
