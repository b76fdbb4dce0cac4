"""`issdash status`: the current state once, as lines or JSON (the stable interface), then
exit: 0, or 3 when the report is degraded (README "Exit statuses"). No Textual here."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from issdash.commands.exits import EXIT_DEGRADED, EXIT_OK, LocalInputError, declare_one_off
from issdash.commands.inputs import element_history, recording
from issdash.feeds.clock import FrozenClock, SystemClock, clock_doubt, iso_z
from issdash.feeds.text import clean_text
from issdash.feeds.values import ZARYA_LAUNCH

if TYPE_CHECKING:
    from issdash.config.settings import Settings
    from issdash.core.runtime import Runtime

# `status --at` range: the station did not exist before Zarya's launch, and the Sun's
# position comes from the bundled planetary ephemeris (de421: to 2053-10-09), which a 24 h
# pass search and the tracks around the time must stay inside.
EARLIEST_AT = ZARYA_LAUNCH
LATEST_AT = datetime(2053, 10, 7, tzinfo=UTC)


def status_command(args: argparse.Namespace, settings: Settings) -> int:
    from issdash.core.gc_pause import freeze_at_exit
    from issdash.core.runtime import Runtime
    from issdash.model.status import build_status, dumps_status

    logging.basicConfig(level=logging.ERROR)
    freeze_at_exit()  # a one-off: nothing it built needs collecting as the process ends
    declare_one_off()  # nor freeing: the program ends without the interpreter's teardown
    if args.at is not None and not EARLIEST_AT <= args.at <= LATEST_AT:
        raise LocalInputError(
            f"--at {iso_z(args.at)}: outside what can be computed"
            f" ({iso_z(EARLIEST_AT)}, Zarya's launch, to {iso_z(LATEST_AT)},"
            " the end of the bundled solar-system ephemeris)"
        )
    if args.demo is not None:
        replayed = recording(args)
        at = args.at or replayed.start
        runtime = Runtime.for_demo(settings, replayed, FrozenClock(at))
    else:
        at = args.at or SystemClock().now()
        runtime = Runtime(settings, FrozenClock(at), mode="live")
    runtime.element_history = element_history(settings)
    asyncio.run(runtime.preload_cache())
    runtime.load_fallbacks()
    asyncio.run(runtime.gather_once(args.timeout))
    status = build_status(runtime.store.state, at, settings.min_elevation_deg)
    doubt = clock_doubt(at, _elements_epoch(runtime, at)) if args.at is None else None
    if doubt is not None and args.demo is None:
        status["notices"] = [*status["notices"], doubt]
    if args.json:
        sys.stdout.write(dumps_status(status) + "\n")
    else:
        print_status(status)
    sys.stdout.flush()
    # 3: the report is degraded (a feed not answering, a part not known); see README.
    return EXIT_DEGRADED if status["degraded"] else EXIT_OK


def _elements_epoch(runtime: Runtime, at: datetime) -> datetime | None:
    choice = runtime.store.state.elements_at(at)
    return choice.elements.epoch if choice is not None else None


def print_status(status: dict[str, Any]) -> None:
    """The human form of `status`. Every line is cleaned like the dashboard's text (errors
    and names come from feeds and files: no escape sequence may reach the terminal)."""
    for line in status_lines(status):
        print(clean_text(line, 300, keep_spacing=True))


def status_lines(status: dict[str, Any]) -> Iterator[str]:
    from issdash.feeds.elements import describe_age

    yield f"issdash status at {status['time']} ({status['mode']})"
    pos = status["position"]
    if pos and pos.get("position_known") is False:
        # The dashboard's rule: from unreliable elements, no number printed as if known.
        yield (
            f"  ISS  position not known: elements {describe_age(pos['elements_age_h'])}, "
            "the station may be anywhere along its orbit"
        )
    elif pos:
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
        if feed.get("data_from_future"):
            error += f"  {feed['data_from_future']}"
        yield f"  {name:<9} {feed['state']}{error}"
    for notice in status.get("notices") or []:
        yield f"  ! {notice}"
