"""The `issdash` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from feeds.clock import FrozenClock, ScaledClock, SystemClock, parse_iso_utc
from feeds.models import Observer
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
    parser.add_argument("--demo", action="store_true", help="run on bundled data, no network")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="issdash", description="A mission-control dashboard for the ISS, in the terminal."
    )
    _common(parser)
    parser.add_argument("--start", type=_iso, metavar="ISO", help="demo clock start time")
    parser.add_argument("--speed", type=float, default=1.0, help="demo clock speed (x real time)")
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
    return parser


def _settings(args: argparse.Namespace) -> Any:
    from app.settings import load_settings

    overrides: dict[str, Any] = {}
    if args.observer is not None:
        overrides["observer"] = args.observer
    if args.min_elevation is not None:
        overrides["min_elevation_deg"] = args.min_elevation
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
    try:
        settings = _settings(args)
    except ValidationError as exc:
        parser.error(f"bad settings: {describe_validation_error(exc)}")
    except (FileNotFoundError, ValueError) as exc:
        parser.error(str(exc))
    if args.command == "status":
        return _status(args, settings)
    return _dashboard(args, settings)


def _status(args: argparse.Namespace, settings: Any) -> int:
    from app.runtime import DEMO_START, Runtime, demo_settings
    from app.state import Mode
    from app.status import build_status

    logging.basicConfig(level=logging.ERROR)
    mode: Mode = "demo" if args.demo else "live"
    if args.demo:
        settings = demo_settings(settings)
    at = args.at or (DEMO_START if args.demo else SystemClock().now())
    clock = FrozenClock(at)
    runtime = Runtime(settings, clock, mode=mode)
    runtime.load_fallbacks()
    asyncio.run(runtime.gather_once(args.timeout))
    status = build_status(runtime.store.state, at, settings.min_elevation_deg)
    if args.json:
        json.dump(status, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_status(status)
    return 0


def _print_status(status: dict[str, Any]) -> None:
    print(f"issdash status at {status['time']} ({status['mode']})")
    pos = status["position"]
    if pos:
        print(
            f"  ISS  {pos['latitude_deg']:+.3f} {pos['longitude_deg']:+.3f}  "
            f"{pos['altitude_km']:.1f} km  {pos['speed_km_s']:.3f} km/s  "
            f"{'sunlit' if pos['sunlit'] else 'eclipsed'}  orbit {pos['orbit_number']}  "
            f"elements {pos['elements_age_h']:.1f} h old"
        )
    for p in status["passes"][:3]:
        print(
            f"  pass {p['rise']}  max {p['max_elevation_deg']:.0f} deg  "
            f"{'visible' if p['visible'] else 'not visible'}"
        )
    for name, feed in status["feeds"].items():
        error = f"  {feed['error']}" if feed["error"] else ""
        print(f"  {name:<9} {feed['state']}{error}")


def _dashboard(args: argparse.Namespace, settings: Any) -> int:
    from app.dashboard import IssDashApp
    from app.runtime import DEMO_START, Runtime, demo_settings

    logging.basicConfig(level=logging.CRITICAL)
    if args.demo:
        clock: Any = ScaledClock(args.start or DEMO_START, args.speed)
        runtime = Runtime(demo_settings(settings), clock, mode="demo")
    else:
        runtime = Runtime(settings, SystemClock(), mode="live")
    IssDashApp(runtime).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
