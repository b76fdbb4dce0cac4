"""The `issdash` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.startup import pause_collector, resume_collector
from feeds.clock import FrozenClock, ScaledClock, SystemClock, parse_iso_utc
from feeds.models import Observer
from feeds.recording import RecordingError
from feeds.validation import describe_validation_error


def _iso(text: str) -> datetime:
    try:
        return parse_iso_utc(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None


def _observer(text: str) -> Observer:
    try:
        return Observer.parse(text)
    except (ValueError, ValidationError) as exc:
        raise argparse.ArgumentTypeError(str(exc).splitlines()[0]) from None


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


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 10000:
        raise argparse.ArgumentTypeError("speed must be between 0 and 10000")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument(
        "--observer", type=_observer, metavar="LAT,LON[,ALT_M]", help="where to predict passes for"
    )
    parser.add_argument(
        "--min-elevation",
        type=float,
        metavar="DEG",
        dest="min_elevation",
        help="lowest elevation that counts as a pass (default 10)",
    )
    parser.add_argument(
        "--elements-history",
        type=Path,
        metavar="PATH",
        dest="elements_history",
        help="past ISS element sets (OMM JSON list or TLE text): the set for each time is used",
    )
    parser.add_argument(
        "--demo",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="replay a recording (default: the bundled Soyuz MS-27 day); no network",
    )


def _replay_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=_iso, metavar="ISO", help="replay start time")
    parser.add_argument("--speed", type=_speed, default=1.0, help="replay speed (x real time)")
    parser.add_argument(
        "--loop", action="store_true", help="replay again from the start at the end"
    )
    parser.add_argument(
        "--kiosk",
        action="store_true",
        help="unattended wall display: locked keys (type the unlock word, then Enter, to leave)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="issdash", description="A mission-control dashboard for the ISS, in the terminal."
    )
    _common(parser)
    _replay_flags(parser)
    sub = parser.add_subparsers(dest="command")
    status = sub.add_parser("status", help="print the current state once and exit")
    _common(status)
    status.add_argument("--json", action="store_true", help="print JSON (the stable interface)")
    status.add_argument("--at", type=_iso, metavar="ISO", help="time to report for (default now)")
    status.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="longest wait for the feeds (default 5)",
    )
    serve = sub.add_parser("serve", help="serve the dashboard to web browsers (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    _common(serve)
    _replay_flags(serve)
    record = sub.add_parser("record", help="record the live feeds to a file for replay")
    record.add_argument(
        "out", type=Path, metavar="OUT", help="recording file (.jsonl or .jsonl.gz)"
    )
    record.add_argument("--config", type=Path, help="TOML settings file")
    record.add_argument("--duration", type=_duration, metavar="TIME", help="stop after (e.g. 2h)")
    record.add_argument(
        "--feeds", metavar="NAMES", help="comma-separated feeds to record (default: all enabled)"
    )
    record.add_argument("--description", default="", help="what this recording is")
    return parser


def _settings(args: argparse.Namespace) -> Any:
    from app.settings import load_settings

    overrides: dict[str, Any] = {}
    if getattr(args, "observer", None) is not None:
        overrides["observer"] = args.observer
    if getattr(args, "min_elevation", None) is not None:
        overrides["min_elevation_deg"] = args.min_elevation
    if getattr(args, "elements_history", None) is not None:
        overrides["elements_history"] = args.elements_history
    return load_settings(args.config, **overrides)


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


def main(argv: Sequence[str] | None = None) -> int:
    pause_collector()  # see app/startup.py
    try:
        return _main(argv)
    finally:
        resume_collector()  # a no-op if the dashboard already did, after its first frame


def _main(argv: Sequence[str] | None) -> int:
    for name, value in _ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
    try:
        settings = _settings(args)
    except ValidationError as exc:
        parser.error(f"bad settings: {describe_validation_error(exc)}")
    except (FileNotFoundError, ValueError) as exc:
        parser.error(str(exc))
    if args.command in ("record", "serve"):
        resume_collector()  # long-running, and nobody waits for their first output
    try:
        if args.command == "status":
            return _status(args, settings)
        if args.command == "record":
            return _record(args, settings)
        if args.command == "serve":
            return _serve(args, settings)
        return _dashboard(args, settings)
    except (RecordingError, HistoryError) as exc:
        parser.error(str(exc))


def _recording(args: argparse.Namespace) -> Any:
    """The recording to replay; what was skipped in it is said on stderr."""
    from app.runtime import load_demo_recording

    recording = load_demo_recording(Path(args.demo) if args.demo else None)
    for problem in recording.problems:
        print(f"issdash: recording: {problem}", file=sys.stderr)
    return recording


def _status(args: argparse.Namespace, settings: Any) -> int:
    from app.runtime import Runtime
    from app.status import build_status, dumps_status

    logging.basicConfig(level=logging.ERROR)
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
    if args.json:
        sys.stdout.write(dumps_status(status) + "\n")
    else:
        _print_status(status)
    # 3: the report is degraded (a feed not answering, a part not known); see README.
    return 3 if status["degraded"] else 0


def _element_history(settings: Any) -> Any:
    """The sets of the history file, if one is set; a file that cannot be used is a usage
    error naming it (exit 2), not a traceback."""
    from app.runtime import load_element_history
    from feeds.sources import FeedError

    path = settings.elements_history
    if path is None:
        return ()
    try:
        return load_element_history(path)
    except FeedError as exc:
        raise HistoryError(f"elements history {path}: {exc.reason}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"elements history {path}: cannot read it ({exc})") from None


class HistoryError(Exception):
    """The element history file cannot be used."""


def _serve(args: argparse.Namespace, settings: Any) -> int:
    from app.serve import serve

    passed: list[str] = []
    if args.config:
        passed += ["--config", str(args.config)]
    if args.observer:
        o = args.observer
        passed += [f"--observer={o.latitude_deg},{o.longitude_deg},{o.altitude_m}"]
    if args.min_elevation is not None:
        passed += [f"--min-elevation={args.min_elevation}"]
    if args.elements_history is not None:
        passed += ["--elements-history", str(args.elements_history)]
    if args.demo is not None:
        passed += ["--demo", args.demo] if args.demo else ["--demo"]
    if args.start:
        passed += ["--start", args.start.isoformat()]
    passed += ["--speed", str(args.speed)]
    passed += ["--loop"] if args.loop else []
    passed += ["--kiosk"] if args.kiosk else []
    collector = None
    if args.demo is None and settings.bus is None:
        # Live feeds: polled once here, read by every session (app.collector).
        from app.collector import Collector

        collector = Collector(settings)
    serve(
        args.host,
        args.port,
        passed,
        max_sessions=settings.serve.max_sessions,
        trusted_origins=tuple(settings.serve.trusted_origins),
        collector=collector,
    )
    return 0


def _record(args: argparse.Namespace, settings: Any) -> int:
    from app.recorder import record
    from app.settings import FEED_NAMES

    feeds = [f.strip() for f in args.feeds.split(",")] if args.feeds else None
    unknown = [f for f in feeds or [] if f not in FEED_NAMES]
    if unknown:
        print(f"issdash record: unknown feed(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    summary = asyncio.run(record(settings, args.out, args.duration, feeds, args.description))
    print(summary)
    return 0


def _print_status(status: dict[str, Any]) -> None:
    from feeds.elements import describe_age

    print(f"issdash status at {status['time']} ({status['mode']})")
    pos = status["position"]
    if pos:
        print(
            f"  ISS  {pos['latitude_deg']:+.3f} {pos['longitude_deg']:+.3f}  "
            f"{pos['altitude_km']:.1f} km  {pos['speed_km_s']:.3f} km/s  "
            f"{'sunlit' if pos['sunlit'] else 'eclipsed'}  orbit {pos['orbit_number']}  "
            f"elements {describe_age(pos['elements_age_h'])}"
            f"{'  approximate' if pos['approximate'] else ''}"
        )
    elements = status.get("elements")
    if not pos and elements and elements.get("problem"):
        print(f"  ISS  elements unusable at this time: {elements['problem']}")
    if status["passes"] is None and pos:
        print("  passes withheld (see notices)")
    for p in (status["passes"] or [])[:3]:
        print(
            f"  pass {p['rise']}  max {p['max_elevation_deg']:.0f} deg  "
            f"{'visible' if p['visible'] else 'not visible'}"
        )
    for name, feed in status["feeds"].items():
        error = f"  {feed['error']}" if feed["error"] else ""
        print(f"  {name:<9} {feed['state']}{error}")
    for notice in status["notices"]:
        print(f"  ! {notice}")


def _dashboard(args: argparse.Namespace, settings: Any) -> int:
    from app.dashboard import IssDashApp
    from app.kiosk import KioskController
    from app.runtime import Runtime

    _log_to_file(settings.log_file)
    if args.demo is not None:
        recording = _recording(args)
        clock = ScaledClock(args.start or recording.start, args.speed)
        runtime = Runtime.for_demo(settings, recording, clock)
    else:
        runtime = Runtime(settings, SystemClock(), mode="live")
    runtime.element_history = _element_history(settings)
    kiosk = KioskController(settings.kiosk) if args.kiosk else None
    IssDashApp(runtime, loop=args.loop, kiosk=kiosk).run()
    return 0


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
