"""The `issdash` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import logging
import math
import os
import re
import stat
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError

from issdash.core.gc_pause import pause_collector, resume_collector
from issdash.feeds.clock import (
    FrozenClock,
    ScaledClock,
    SystemClock,
    clock_doubt,
    iso_z,
    parse_iso_utc,
)
from issdash.feeds.recording import RecordingError
from issdash.feeds.text import clean_text
from issdash.feeds.values import Observer

if TYPE_CHECKING:  # imported lazily at run time: `status` must not pay for the dashboard
    from issdash.config.settings import Settings
    from issdash.core.runtime import Runtime
    from issdash.feeds.elements import ElementsInfo
    from issdash.feeds.recording import Recording


def _iso(text: str) -> datetime:
    try:
        return parse_iso_utc(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {clean_text(text, 40)!r}"
        ) from None


def _observer(text: str) -> Observer:
    from issdash.config.errors import describe_settings_error

    try:
        return Observer.parse(text)
    except ValidationError as exc:  # numbers out of range: "latitude must be between ..."
        raise argparse.ArgumentTypeError(describe_settings_error(exc, Observer)) from None
    except ValueError as exc:  # not LAT,LON[,ALT_M]
        raise argparse.ArgumentTypeError(clean_text(exc, 120)) from None


def _place(text: str) -> Observer:
    """A city name resolved offline (issdash.config.place); ambiguous names list candidates."""
    from issdash.config.place import PlaceError, resolve_place

    try:
        return resolve_place(text)
    except PlaceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _days(text: str) -> int:
    from issdash.commands.passes import MAX_DAYS, MIN_DAYS

    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text[:20]!r}") from None
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"days must be {MIN_DAYS} to {MAX_DAYS}, got {days}")
    return days


def _duration(text: str) -> float:
    """ "2h", "90m", "45s", "1h30m" or plain seconds."""
    match = re.fullmatch(
        r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text
    )
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 2h, 30m, 90s)")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise argparse.ArgumentTypeError("duration must be positive")
    return total


MAX_SPEED = 10000.0


def _speed(text: str) -> float:
    """Replay speed, times real time: any number in range (the keys + and - then step
    through the replay's ladder of speeds)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_SPEED:  # NaN fails too
        from issdash.model.replay_control import SPEEDS

        ladder = ", ".join(f"{s:g}" for s in SPEEDS)
        raise argparse.ArgumentTypeError(
            f"{clean_text(text, 40)!r}: the replay speed is times real time, a number greater"
            f" than 0 and at most {MAX_SPEED:g} (e.g. 1, 60, 600; the keys + and - step"
            f" through {ladder})"
        )
    return value


def _seconds(text: str) -> float:
    """`--timeout`: a finite, positive number of seconds, at most ten minutes."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(
            f"{clean_text(text, 40)!r}: must be a number of seconds greater than 0 and at most 600"
        )
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{clean_text(text, 40)!r}: must be a TCP port number from 1 to 65535"
        )
    return value


def _elevation(text: str) -> float:
    """`--min-elevation`: its range is the setting's, checked with the other settings."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{clean_text(text, 40)!r}: must be a number of degrees (e.g. 10)"
        ) from None


def _size(text: str) -> int:
    """ "500M", "2G", "100k" or plain bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {clean_text(text, 40)!r} (try 500M, 2G)")
    factor = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match[2].lower()]
    value = int(float(match[1]) * factor)
    if value < 4096:
        raise argparse.ArgumentTypeError("size must be at least 4k")
    return value


# Global flags are accepted before or after the subcommand. Each parser declares them, but
# only the top-level one has defaults: a subparser's defaults would overwrite a value given
# before the subcommand (argparse applies the subparser's namespace last).
_GLOBAL_DEFAULTS: dict[str, Any] = {
    "config": None,
    "observer": None,
    "place": None,
    "min_elevation": None,
    "elements_history": None,
    "demo": None,
    "start": None,
    "speed": 1.0,
    "loop": False,
    "kiosk": False,
}


def _default(parser: argparse.ArgumentParser, top: bool, name: str) -> Any:
    return _GLOBAL_DEFAULTS[name] if top else argparse.SUPPRESS


def _config_flag(parser: argparse.ArgumentParser, top: bool) -> None:
    parser.add_argument(
        "--config", type=Path, default=_default(parser, top, "config"), help="TOML settings file"
    )


def _common(parser: argparse.ArgumentParser, top: bool = False) -> None:
    _config_flag(parser, top)
    parser.add_argument(
        "--observer",
        type=_observer,
        default=_default(parser, top, "observer"),
        metavar="LAT,LON[,ALT_M]",
        help="where to predict passes for",
    )
    parser.add_argument(
        "--place",
        type=_place,
        default=_default(parser, top, "place"),
        metavar="NAME",
        help='where to predict passes for, by name: "Amsterdam", "Boston, US" (offline)',
    )
    parser.add_argument(
        "--min-elevation",
        type=_elevation,
        metavar="DEG",
        dest="min_elevation",
        default=_default(parser, top, "min_elevation"),
        help="lowest elevation that counts as a pass (default 10)",
    )
    parser.add_argument(
        "--elements-history",
        type=Path,
        metavar="PATH",
        dest="elements_history",
        default=_default(parser, top, "elements_history"),
        help="past ISS element sets (OMM JSON list or TLE text): the set for each time is used",
    )
    parser.add_argument(
        "--demo",
        nargs="?",
        const="",
        default=_default(parser, top, "demo"),
        metavar="PATH",
        help="replay a recording (default: the bundled Soyuz MS-27 day); no network",
    )


def _replay_flags(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument(
        "--start",
        type=_iso,
        metavar="ISO",
        default=_default(parser, top, "start"),
        help="replay start time",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        default=_default(parser, top, "speed"),
        help="replay speed (x real time)",
    )
    parser.add_argument(
        "--loop",
        action="store_true",
        default=_default(parser, top, "loop"),
        help="replay again from the start at the end",
    )
    parser.add_argument(
        "--kiosk",
        action="store_true",
        default=_default(parser, top, "kiosk"),
        help="unattended wall display: locked keys (type the unlock word, then Enter, to leave)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse quoting a bad value must not send its escape sequences to the terminal."""

    def error(self, message: str) -> NoReturn:
        # One line, as for every other usage error (README "Exit statuses"): the usage
        # summary would bury the message; --help is one flag away.
        hint = "" if message.startswith("argument ") else f" (see {self.prog} --help)"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {clean_text(message, 300)}{hint}\n")


def version() -> str:
    """The installed package's version (its metadata, so it is never out of step)."""
    try:
        return importlib.metadata.version("issdash")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="issdash", description="A mission-control dashboard for the ISS, in the terminal."
    )
    parser.add_argument(
        "--version", action="version", version=f"issdash {version()}", help="print the version"
    )
    _common(parser, top=True)
    _replay_flags(parser, top=True)
    sub = parser.add_subparsers(dest="command")
    status = sub.add_parser("status", help="print the current state once and exit")
    _common(status)
    status.add_argument("--json", action="store_true", help="print JSON (the stable interface)")
    status.add_argument("--at", type=_iso, metavar="ISO", help="time to report for (default now)")
    status.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        metavar="S",
        help="longest wait for the feeds (default 5)",
    )
    passes = sub.add_parser("passes", help="when to see the station: passes over the observer")
    _common(passes)
    passes.add_argument("--at", type=_iso, metavar="ISO", help="start of the span (default now)")
    passes.add_argument(
        "--days", type=_days, default=3, metavar="N", help="how many days ahead (1-30, default 3)"
    )
    passes.add_argument("--visible", action="store_true", help="only passes you can see")
    passes.add_argument("--json", action="store_true", help="print JSON (the stable interface)")
    passes.add_argument(
        "--ics", type=Path, metavar="FILE", help="also write the visible passes as iCalendar"
    )
    passes.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="longest wait for fresh elements (default 5)",
    )
    serve = sub.add_parser("serve", help="serve the dashboard to web browsers (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    _common(serve)
    _replay_flags(serve)
    record = sub.add_parser("record", help="record the live feeds to a file for replay")
    record.add_argument(
        "out", type=Path, metavar="OUT", help="recording file (.jsonl or .jsonl.gz)"
    )
    _config_flag(record, top=False)
    record.add_argument(
        "--duration",
        "--max-duration",
        type=_duration,
        dest="duration",
        metavar="TIME",
        help="stop after (e.g. 2h)",
    )
    record.add_argument(
        "--max-size",
        type=_size,
        metavar="SIZE",
        help="stop before the file grows past SIZE (e.g. 500M; before compression)",
    )
    record.add_argument(
        "--feeds", metavar="NAMES", help="comma-separated feeds to record (default: all enabled)"
    )
    record.add_argument("--description", default="", help="what this recording is")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from issdash.config.settings import load_settings

    overrides: dict[str, Any] = {}
    observer_flag = getattr(args, "observer", None)
    place_flag = getattr(args, "place", None)
    if observer_flag is not None and place_flag is not None:
        raise LocalInputError("--observer and --place both given: use one")
    for _flag, attribute, setting in _SETTING_FLAGS:
        if getattr(args, attribute, None) is not None:
            overrides[setting] = getattr(args, attribute)
    if place_flag is not None:
        overrides["observer"] = place_flag  # already resolved (see _place)
    if observer_flag is not None or place_flag is not None:
        # A flag replaces the other way of giving the observer from the config or environment.
        overrides["place"] = None
    flags = {setting: flag for flag, _, setting in _SETTING_FLAGS}
    settings = load_settings(args.config, flags=flags, **overrides)
    observer = settings.observer
    if observer is not None and observer.timezone is None:
        # Every command sees the observer with its zone (coordinates, else the system's).
        from issdash.config.place import with_timezone

        settings = settings.model_copy(update={"observer": with_timezone(observer)})
    return settings


# Flags that set a setting: (flag, argparse attribute, setting), for errors naming the flag.
_SETTING_FLAGS = (
    ("--observer", "observer", "observer"),
    ("--min-elevation", "min_elevation", "min_elevation_deg"),
    ("--elements-history", "elements_history", "elements_history"),
)


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """`--observer -33.9,18.4` would look like an option to argparse; southern and western
    observers are normal, so such a value is glued to its flag."""
    joined: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        if args[i] in _VALUE_FLAGS and i + 1 < len(args) and _NEGATIVE.match(args[i + 1]):
            joined.append(f"{args[i]}={args[i + 1]}")
            i += 2
            continue
        joined.append(args[i])
        i += 1
    return joined


_VALUE_FLAGS = {"--observer", "--min-elevation"}
_NEGATIVE = re.compile(r"^-[\d.]")


# Process-wide defaults, set before numpy is first imported (the user's environment wins).
# OpenBLAS otherwise starts a worker thread per core that spins for a while after each
# numpy call: measured 0.33 s of a second core during start-up, for matrices of 3x3.
_ENVIRONMENT_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


class LocalInputError(Exception):
    """A problem with what the user gave us (a file, a setting, a time): exit status 2, one
    line on stderr, no traceback."""


# `status --at` range: the station did not exist before Zarya's launch, and the Sun's
# position comes from the bundled planetary ephemeris (de421: to 2053-10-09), which a 24 h
# pass search and the tracks around the time must stay inside.
EARLIEST_AT = datetime(1998, 11, 20, 6, 40, tzinfo=UTC)
LATEST_AT = datetime(2053, 10, 7, tzinfo=UTC)

EXIT_OK, EXIT_CRASH, EXIT_USAGE, EXIT_DEGRADED = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; the exit status follows README "Exit statuses": 0 success, 1 crash,
    2 usage or local input error, 3 degraded data."""
    pause_collector()  # see app/startup.py
    _reserve_standard_fds()
    try:
        return _main(argv)
    except LocalInputError as exc:
        _say(f"issdash: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`issdash status | head -1`): what it wanted it has; stop
        # quietly, and keep Python's own flush at exit from failing again.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        _report_crash(exc)
        return EXIT_CRASH
    finally:
        resume_collector()  # a no-op if the dashboard already did, after its first frame


def _reserve_standard_fds() -> None:
    """A closed stdin, stdout or stderr is given /dev/null before anything else opens a file:
    otherwise the next file opened (the log) would get that number, and a later write meant
    for the terminal, or a replacement of stdin, would land in it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one


def _say(line: str) -> None:
    """One line on stderr, cleaned: error messages quote files and feeds."""
    with contextlib.suppress(OSError, ValueError):
        print(clean_text(line, 400), file=sys.stderr, flush=True)


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _report_crash(exc: BaseException) -> None:
    """The traceback to the log file, one line on stderr saying what and where."""
    log_path: Path | None = None
    try:
        import traceback

        from issdash.config.settings import Settings

        log_path = Settings.model_fields["log_file"].get_default(call_default_factory=True)
        assert isinstance(log_path, Path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("a", encoding="utf-8") as handle:
            handle.write(f"{iso_z(SystemClock().now())} CRASH\n")
            handle.write("".join(traceback.format_exception(exc)))
    except Exception:
        log_path = None
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {Path(frame.tb_frame.f_code.co_filename).name}:{frame.tb_lineno}" if frame else ""
    logged = f"; full traceback in {log_path}" if log_path else ""
    _say(f"issdash: internal error{where}: {type(exc).__name__}: {exc}{logged}")


def _main(argv: Sequence[str] | None) -> int:
    for name, value in _ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    parser = build_parser()
    typed = _join_negative_values(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(typed)
    from issdash.config.settings import SettingsError

    try:
        settings = _settings(args)
    except SettingsError as exc:
        raise LocalInputError(str(exc)) from None
    if args.command in ("record", "serve"):
        resume_collector()  # long-running, and nobody waits for their first output
    try:
        if args.command == "status":
            return _status(args, settings)
        if args.command == "passes":
            return _passes(args, settings)
        if args.command == "record":
            return _record(args, settings)
        if args.command == "serve":
            return _serve(args, typed, settings)
        return _dashboard(args, settings)
    except (RecordingError, HistoryError) as exc:
        raise LocalInputError(str(exc)) from None


def _recording(args: argparse.Namespace) -> Recording:
    """The recording to replay; what was skipped in it is said on stderr."""
    from issdash.core.runtime import load_demo_recording

    recording = load_demo_recording(Path(args.demo) if args.demo else None)
    for problem in recording.problems[:20]:
        _say(f"issdash: recording: {problem}")
    if len(recording.problems) > 20:
        _say(f"issdash: recording: ... and {len(recording.problems) - 20} more problems")
    return recording


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from issdash.core.runtime import Runtime
    from issdash.model.status import build_status, dumps_status

    logging.basicConfig(level=logging.ERROR)
    if args.at is not None and not EARLIEST_AT <= args.at <= LATEST_AT:
        raise LocalInputError(
            f"--at {iso_z(args.at)}: outside what can be computed"
            f" ({iso_z(EARLIEST_AT)}, Zarya's launch, to {iso_z(LATEST_AT)},"
            " the end of the bundled solar-system ephemeris)"
        )
    if args.demo is not None:
        recording = _recording(args)
        at = args.at or recording.start
        runtime = Runtime.for_demo(settings, recording, FrozenClock(at))
    else:
        at = args.at or SystemClock().now()
        runtime = Runtime(settings, FrozenClock(at), mode="live")
    runtime.element_history = _element_history(settings)
    runtime.load_fallbacks()
    asyncio.run(runtime.gather_once(args.timeout))
    status = build_status(runtime.store.state, at, settings.min_elevation_deg)
    doubt = clock_doubt(at, _elements_epoch(runtime, at)) if args.at is None else None
    if doubt is not None and args.demo is None:
        status["notices"] = [*status["notices"], doubt]
    if args.json:
        sys.stdout.write(dumps_status(status) + "\n")
    else:
        _print_status(status)
    sys.stdout.flush()
    # 3: the report is degraded (a feed not answering, a part not known); see README.
    return EXIT_DEGRADED if status["degraded"] else EXIT_OK


def _passes(args: argparse.Namespace, settings: Settings) -> int:
    from issdash.commands.passes import PassesUsageError, run_passes

    logging.basicConfig(level=logging.ERROR)
    try:
        return run_passes(
            settings,
            at=args.at,
            now=SystemClock().now(),
            days=args.days,
            visible_only=args.visible,
            as_json=args.json,
            ics=args.ics,
            timeout_s=args.timeout,
            recording=_recording(args) if args.demo is not None else None,
            element_history=_element_history(settings),
        )
    except PassesUsageError as exc:
        raise LocalInputError(str(exc)) from None


def _element_history(settings: Settings) -> tuple[ElementsInfo, ...]:
    """The sets of the history file, if one is set; a file that cannot be used is a usage
    error naming it (exit 2), not a traceback."""
    from issdash.core.runtime import load_element_history
    from issdash.feeds.sources import FeedError

    path = settings.elements_history
    if path is None:
        return ()
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # /dev/zero would be read without end
            raise HistoryError(f"elements history {path}: not a regular file")
        return load_element_history(path)
    except FeedError as exc:
        raise HistoryError(f"elements history {path}: {exc.reason}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"elements history {path}: cannot read it ({exc})") from None


class HistoryError(Exception):
    """The element history file cannot be used."""


def _serve(args: argparse.Namespace, typed: Sequence[str], settings: Settings) -> int:
    from issdash.commands.serve import serve

    collector = None
    if args.demo is None and settings.bus is None:
        # Live feeds: polled once here, read by every session (issdash.core.collector).
        from issdash.core.collector import Collector

        collector = Collector(settings)
    serve(
        args.host,
        args.port,
        dashboard_argv(typed),
        max_sessions=settings.serve.max_sessions,
        trusted_origins=tuple(settings.serve.trusted_origins),
        collector=collector,
    )
    return 0


def dashboard_argv(typed: Sequence[str]) -> list[str]:
    """The dashboard's flags in `issdash [FLAGS] serve [FLAGS]`: every flag as typed, without
    the subcommand and its own --host and --port. Each browser session's dashboard gets them
    all, so a new dashboard flag needs no code here."""
    # Flags before the subcommand that take a value: "serve" right after one is that value.
    valued = {
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if action.nargs != 0
    }
    passed: list[str] = []
    in_serve = False
    skip_value = False
    for i, arg in enumerate(typed):
        if skip_value:
            skip_value = False
            continue
        after_flag = i > 0 and typed[i - 1] in valued
        if not in_serve and arg == "serve" and not after_flag:
            in_serve = True
            continue
        name = arg.split("=", 1)[0]
        # argparse accepts unambiguous prefixes (--po for --port).
        if in_serve and len(name) > 3 and ("--host".startswith(name) or "--port".startswith(name)):
            skip_value = "=" not in arg
            continue
        passed.append(arg)
    return passed


def _record(args: argparse.Namespace, settings: Settings) -> int:
    from issdash.commands.record import record
    from issdash.config.settings import ALL_FEEDS
    from issdash.feeds.recording import RecordingWriteError

    feeds = [f.strip() for f in args.feeds.split(",")] if args.feeds else None
    unknown = [f for f in feeds or [] if f not in ALL_FEEDS]
    if unknown:
        from issdash.config.errors import did_you_mean

        raise LocalInputError(
            f"record --feeds: unknown feed(s): {', '.join(unknown)};"
            f" {did_you_mean(unknown[0], ALL_FEEDS)}valid: {', '.join(ALL_FEEDS)}"
        )
    logging.basicConfig(level=logging.WARNING)
    try:
        summary = asyncio.run(
            record(
                settings,
                args.out,
                args.duration,
                feeds,
                args.description,
                max_bytes=args.max_size,
            )
        )
    except RecordingWriteError as exc:
        raise LocalInputError(str(exc)) from None
    for line in summary.lines():
        (_say if line.startswith(("warning", "stopped")) else _print_clean)(line)
    return summary.exit_status


def _print_clean(line: str) -> None:
    print(clean_text(line, 400, keep_spacing=True))


def _elements_epoch(runtime: Runtime, at: datetime) -> datetime | None:
    choice = runtime.store.state.elements_at(at)
    return choice.elements.epoch if choice is not None else None


def _print_status(status: dict[str, Any]) -> None:
    """The human form of `status`. Every line is cleaned like the dashboard's text (errors
    and names come from feeds and files: no escape sequence may reach the terminal)."""
    for line in _status_lines(status):
        print(clean_text(line, 300, keep_spacing=True))


def _status_lines(status: dict[str, Any]) -> Iterator[str]:
    from issdash.feeds.elements import describe_age

    yield f"issdash status at {status['time']} ({status['mode']})"
    pos = status["position"]
    if pos:
        yield (
            f"  ISS  {pos['latitude_deg']:+.3f} {pos['longitude_deg']:+.3f}  "
            f"{pos['altitude_km']:.1f} km  {pos['speed_km_s']:.3f} km/s  "
            f"{'sunlit' if pos['sunlit'] else 'eclipsed'}  orbit {pos['orbit_number']}  "
            f"elements {describe_age(pos['elements_age_h'])}"
            f"{'  approximate' if pos.get('approximate') else ''}"
        )
    elements = status.get("elements")
    if not pos and elements and elements.get("problem"):
        yield f"  ISS  elements unusable at this time: {elements['problem']}"
    if status.get("passes") is None and pos:
        yield "  passes withheld (see notices)"
    for p in (status.get("passes") or [])[:3]:
        yield (
            f"  pass {p['rise']}  max {p['max_elevation_deg']:.0f} deg  "
            f"{'visible' if p['visible'] else 'not visible'}"
        )
    for name, feed in status["feeds"].items():
        error = f"  {feed['error']}" if feed["error"] else ""
        yield f"  {name:<9} {feed['state']}{error}"
    for notice in status.get("notices") or []:
        yield f"  ! {notice}"


def _dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from issdash.core.runtime import Runtime
    from issdash.model.kiosk import KioskController
    from issdash.tui.dashboard import IssDashApp

    _log_to_file(settings.log_file)
    _keyless_stdin_if_needed()
    if args.demo is not None:
        recording = _recording(args)
        clock = ScaledClock(args.start or recording.start, args.speed)
        runtime = Runtime.for_demo(settings, recording, clock)
    else:
        runtime = Runtime(settings, SystemClock(), mode="live")
    runtime.element_history = _element_history(settings)
    kiosk = KioskController(settings.kiosk) if args.kiosk else None
    app = IssDashApp(runtime, loop=args.loop, kiosk=kiosk)
    app.run()
    # Textual catches an exception that ends the app, prints it and sets the return code: it
    # must reach our exit status, or a supervisor (systemd Restart=on-failure) sees success.
    code = app.return_code or 0
    if code != 0:
        error = getattr(app, "_exception", None)  # Textual keeps the exception that ended it
        logged = ""
        if isinstance(error, BaseException):
            logging.getLogger(__name__).error(
                "the dashboard stopped on an internal error", exc_info=error
            )
            logged = f"; full traceback in {settings.log_file}"
        _say(f"issdash: the dashboard stopped on an internal error (exit status {code}){logged}")
    return EXIT_CRASH if code != 0 else EXIT_OK


def _keyless_stdin_if_needed() -> None:
    """Without a terminal on stdin, run display-only, calmly.

    Textual's input thread waits on stdin with select() and, at end of file, goes straight
    back to waiting: /dev/null is always "readable" and always at end of file, so it spun a
    whole core forever; a closed stdin (no fd 0) crashed it at start. In both cases stdin is
    replaced by the read end of a pipe nobody writes to: never readable, the thread sleeps in
    select(), and the dashboard runs without keys (SIGTERM or Ctrl+C ends it). Left alone
    when another Textual driver is chosen (textual-serve talks to the app over stdin).
    """
    if os.environ.get("TEXTUAL_DRIVER"):
        return
    stdin = sys.__stdin__
    try:
        if stdin is not None and os.isatty(stdin.fileno()):
            return
    except (OSError, ValueError):
        pass
    read_end, write_end = os.pipe()
    os.dup2(read_end, 0)
    os.close(read_end)
    # The write end stays open for the life of the process, so the pipe never reports EOF.
    global _KEPT_PIPE_END
    _KEPT_PIPE_END = write_end
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - for the process's life
    setattr(sys, "__stdin__", sys.stdin)  # Textual's driver reads sys.__stdin__  # noqa: B010
    logging.getLogger(__name__).warning(
        "stdin is not a terminal: running display-only (no keys; SIGTERM or Ctrl+C ends it)"
    )


_KEPT_PIPE_END: int | None = None


def _log_to_file(path: Path) -> None:
    """While the dashboard owns the terminal, warnings and errors go to a rotating file."""
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError as exc:
        print(f"issdash: cannot write the log file {path}: {exc}; not logging", file=sys.stderr)
        handler = logging.NullHandler()
    root.addHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
