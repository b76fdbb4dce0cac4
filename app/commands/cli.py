"""The `issdash` command line: the parser, `main` and the dispatch to each command's module
(status, passes, record, serve, dashboard); the flags' values are read by `arguments`.

Importing this module is cheap (argparse and the standard library; nothing of pydantic,
numpy or asyncio): `main` first pauses the garbage collector (issdash.core.gc_pause), then
what each command needs is imported, so none of those imports is walked by the collector.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from issdash.commands import arguments
from issdash.commands.exits import (
    EXIT_CRASH,
    EXIT_OK,
    EXIT_USAGE,
    LocalInputError,
    end,
    say,
)
from issdash.commands.inputs import HistoryError
from issdash.core.gc_pause import pause_collector, resume_collector
from issdash.feeds.text import clean_text

if TYPE_CHECKING:  # imported lazily at run time: `status` must not pay for the dashboard
    from issdash.config.settings import Settings


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
        type=arguments.observer,
        default=_default(parser, top, "observer"),
        metavar="LAT,LON[,ALT_M]",
        help="where to predict passes for",
    )
    parser.add_argument(
        "--place",
        type=arguments.place,
        default=_default(parser, top, "place"),
        metavar="NAME",
        help='where to predict passes for, by name: "Amsterdam", "Boston, US" (offline)',
    )
    parser.add_argument(
        "--min-elevation",
        type=arguments.elevation,
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
        type=arguments.iso_time,
        metavar="ISO",
        default=_default(parser, top, "start"),
        help="replay start time",
    )
    parser.add_argument(
        "--speed",
        type=arguments.speed,
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
    # Finding the package's metadata scans the installed distributions: only when asked.
    import importlib.metadata

    try:
        return importlib.metadata.version("issdash")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


class _VersionAction(argparse.Action):
    """`--version`, as argparse's own prints it, but the version is read only when asked:
    every other run would pay for reading the package metadata."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None):
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        sys.stdout.write(f"issdash {version()}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="issdash", description="A mission-control dashboard for the ISS, in the terminal."
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version")
    _common(parser, top=True)
    _replay_flags(parser, top=True)
    sub = parser.add_subparsers(dest="command")
    status = sub.add_parser("status", help="print the current state once and exit")
    _common(status)
    status.add_argument("--json", action="store_true", help="print JSON (the stable interface)")
    status.add_argument(
        "--at", type=arguments.iso_time, metavar="ISO", help="time to report for (default now)"
    )
    status.add_argument(
        "--timeout",
        type=arguments.seconds,
        default=5.0,
        metavar="S",
        help="longest wait for the feeds (default 5)",
    )
    passes = sub.add_parser("passes", help="when to see the station: passes over the observer")
    _common(passes)
    passes.add_argument(
        "--at", type=arguments.iso_time, metavar="ISO", help="start of the span (default now)"
    )
    passes.add_argument(
        "--days",
        type=arguments.days,
        default=3,
        metavar="N",
        help="how many days ahead (1-30, default 3)",
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
    serve.add_argument("--port", type=arguments.port, default=8000, help="port (default 8000)")
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
        type=arguments.duration,
        dest="duration",
        metavar="TIME",
        help="stop after (e.g. 2h)",
    )
    record.add_argument(
        "--max-size",
        type=arguments.size,
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
        overrides["observer"] = place_flag  # already resolved (see arguments.place)
    if observer_flag is not None or place_flag is not None:
        # A flag replaces the other way of giving the observer from the config or environment.
        overrides["place"] = None
    flags = {setting: flag for flag, _, setting in _SETTING_FLAGS}
    # The observer's zone is the settings' to look up, when a command first needs it.
    return load_settings(args.config, flags=flags, **overrides)


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
# Pydantic looks for plugins (the "pydantic" entry-point group) at the first model it builds,
# scanning every installed distribution's metadata: ~6 ms of every start, and issdash uses
# none. PYDANTIC_DISABLE_PLUGINS is pydantic's documented switch; a user who wants a plugin
# sets it (to "" for all, or to the names of those to leave out).
_ENVIRONMENT_DEFAULTS = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; the exit status follows README "Exit statuses": 0 success, 1 crash,
    2 usage or local input error, 3 degraded data."""
    pause_collector()  # see app/startup.py
    _reserve_standard_fds()
    try:
        return _main(argv)
    except LocalInputError as exc:
        say(f"issdash: error: {exc}")
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


def run() -> NoReturn:
    """The program (`issdash`, `python -m issdash`): `main` on the process's own command line,
    then the end of the process with its status (see `exits.end`)."""
    end(main())


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
        from issdash.feeds.clock import SystemClock, iso_z

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
    say(f"issdash: internal error{where}: {type(exc).__name__}: {exc}{logged}")


def _main(argv: Sequence[str] | None) -> int:
    for name, value in _ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    parser = build_parser()
    typed = _join_negative_values(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(typed)
    from issdash.config.settings import SettingsError
    from issdash.feeds.recording import RecordingError

    try:
        settings = _settings(args)
    except SettingsError as exc:
        raise LocalInputError(str(exc)) from None
    if args.command in ("record", "serve"):
        resume_collector()  # long-running, and nobody waits for their first output
    try:
        # Each command's module is imported only when it runs: `status` must not pay for the
        # dashboard (Textual), nor `passes` for the web server.
        if args.command == "status":
            from issdash.commands.status import status_command

            return status_command(args, settings)
        if args.command == "passes":
            from issdash.commands.passes import passes_command

            return passes_command(args, settings)
        if args.command == "record":
            from issdash.commands.record import record_command

            return record_command(args, settings)
        if args.command == "serve":
            from issdash.commands.serve import serve_command

            return serve_command(args, dashboard_argv(typed), settings)
        from issdash.commands.dashboard import dashboard_command

        return dashboard_command(args, settings)
    except (RecordingError, HistoryError) as exc:
        raise LocalInputError(str(exc)) from None


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


if __name__ == "__main__":
    run()
