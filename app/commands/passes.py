"""`issdash passes`: the pass planner on the command line (table, JSON, iCalendar).

    issdash passes [--observer LAT,LON[,ALT_M] | --place NAME] [--at ISO] [--days N]
                   [--visible] [--json] [--ics FILE] [--timeout S]

The elements are chosen as `status` chooses them (the element feed asked once, else the
cache, else the bundled set, labelled), and the honesty rules hold per pass: a pass whose
time is past 3 days from the epoch is approximate; past 14 days it is withheld (not a time to
go outside), and the output says from when and why. Exit status 0 when the element feed
answered and every pass in the span is offered as good, 3 when the data is degraded (the feed
did not answer, passes approximate or withheld), 2 for a usage error. No Textual here.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from issdash.feeds.clock import iso_z
from issdash.feeds.elements import ElementsChoice, describe_age
from issdash.feeds.text import clean_text
from issdash.feeds.values import ZARYA_LAUNCH, Observer
from issdash.model.local_time import format_local, is_utc, zone_abbreviation
from issdash.model.orbit import ElementsUnusable, OrbitEngine
from issdash.model.orbit_source import OrbitInputs
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import (
    approximate_at,
    no_newer_elements,
    pass_directions,
    pass_json,
    passes_between,
    passes_withheld,
    placed_at,
)

if TYPE_CHECKING:
    from issdash.config.settings import Settings
    from issdash.core.runtime import Runtime
    from issdash.feeds.elements import ElementsInfo
    from issdash.feeds.recording import Recording

MIN_DAYS, MAX_DAYS = 1, 30
# The feeds a pass search rests on.
ORBIT_FEEDS = ("tle", "oem", "supgp")
# The station did not exist before Zarya's launch; the Sun comes from the bundled planetary
# ephemeris (de421, to 2053-10-09), which every time of the search must stay inside.
EARLIEST_START = ZARYA_LAUNCH
LATEST_END = datetime(2053, 10, 7, tzinfo=UTC)
# Wide enough for the start and time columns to carry UTC beside the local time.
_WIDE_COLUMNS = 110


class PassesUsageError(ValueError):
    """What was asked cannot be answered (no observer, a time outside what can be
    computed, a calendar file that cannot be written): exit status 2, one line."""


@dataclass(frozen=True, slots=True)
class PlannedPasses:
    """The answer of one `passes` run, before it is printed."""

    at: datetime
    days: int
    visible_only: bool
    observer: Observer
    zone: tzinfo | None
    choice: ElementsChoice | None
    passes: list[Pass]
    approximate: list[bool]
    # Per pass, where the station's position came from at its rise (see `pass_json`).
    sources: list[str | None]
    withheld: str | None  # why passes (all, or those after `withheld_after`) are withheld
    withheld_after: datetime | None
    feeds: dict[str, dict[str, Any]]
    notices: list[str]
    degraded: bool
    # Where the orbit comes from over the span, when not only from the elements: "orbit: NASA
    # trajectory (made 2022-02-11 18:53Z) to 2022-02-26 11:56Z, then the elements".
    orbit_said: str | None = None


def check_span(at: datetime, days: int) -> None:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise PassesUsageError(f"--days {days}: give {MIN_DAYS} to {MAX_DAYS}")
    if not EARLIEST_START <= at <= LATEST_END - timedelta(days=days):
        raise PassesUsageError(
            f"--at {iso_z(at)}: outside what can be computed ({iso_z(EARLIEST_START)},"
            f" Zarya's launch, to {iso_z(LATEST_END - timedelta(days=days))},"
            f" {days} days before the end of the bundled solar-system ephemeris)"
        )


def plan_passes(
    runtime: Runtime,
    observer: Observer,
    zone: tzinfo | None,
    at: datetime,
    days: int,
    min_elevation_deg: float,
    visible_only: bool,
) -> PlannedPasses:
    """The passes from `at` for `days` days, with the elements' honesty applied per pass;
    times are said in `zone` (None: the system's)."""
    state = runtime.store.state
    end = at + timedelta(days=days)
    choice = state.elements_at(at)
    notices = list(state.notices)
    feeds = {
        name: {
            "state": health.state(at),
            "age_s": round(age, 1) if (age := health.age_s(at)) is not None else None,
            "error": health.last_error,
        }
        for name, health in state.feeds.items()
        if health.enabled
    }
    # The element feed is what the passes rest on; NASA's trajectory and the fit to it make
    # them better where they answer, and where they do not the passes are judged per pass
    # by the source they came from (approximate, withheld), so their trouble is listed in
    # `feeds` but does not by itself make the plan degraded.
    feed_trouble = any(f["state"] != "ok" for name, f in feeds.items() if name == "tle")

    # What every answer of this run says the same way; the passes and their honesty vary.
    planned = partial(
        PlannedPasses, at, days, visible_only, observer, zone, choice, feeds=feeds, notices=notices
    )

    def none_offered(why: str) -> PlannedPasses:
        notices.append(f"passes withheld: {why}")
        return planned(
            passes=[],
            approximate=[],
            sources=[],
            withheld=why,
            withheld_after=None,
            degraded=True,
        )

    if choice is None:
        return none_offered("no orbital elements")
    notices.extend(choice.notices())
    elements_feed = state.feeds.get("tle")
    # The one choice of source per time (NASA's trajectory, CelesTrak's fit, the elements)
    # that the dashboard and `status` make too.
    engine = OrbitEngine(choice.elements, OrbitInputs.from_state(state, at))
    withheld = passes_withheld(choice, elements_feed, engine.source_at(at))
    if withheld is not None:
        return none_offered(withheld)
    # Past 14 days from the epoch a pass may not happen at all: the search stops there,
    # unless NASA's trajectory (or a fit to it) reaches further.
    epoch = choice.elements.epoch
    last_offered = max(epoch + timedelta(days=14), engine.covered_until() or epoch)
    covered_until = engine.covered_until()
    if covered_until is not None and not placed_at(engine, covered_until + timedelta(seconds=1)):
        # Past the trajectory the elements cannot place the station (weeks from their epoch).
        last_offered = covered_until
    withheld_after: datetime | None = None
    search_end = end
    if end > last_offered:
        withheld_after, search_end = last_offered, max(at, last_offered)
    try:
        found = passes_between(engine, observer, at, search_end, min_elevation_deg)
    except ElementsUnusable as exc:
        return none_offered(str(exc))
    passes = [p for p in found if p.visible or not visible_only]
    sources = [engine.source_at(p.rise) for p in passes]
    approximate = [
        approximate_at(source, (p.rise - epoch).total_seconds() / 3600.0)
        for p, source in zip(passes, sources, strict=True)
    ]
    too_old = None
    if withheld_after is not None:
        feed = no_newer_elements(elements_feed)
        too_old = "elements too old" if feed is None else f"elements too old: {feed}"
        where = (
            "NASA's trajectory ends there and the elements are"
            if covered_until is not None and withheld_after == covered_until
            else "elements"
        )
        notices.append(
            f"passes after {iso_z(withheld_after)} withheld: {where} more than 14 days old"
            " by then (a pass may not happen at all)" + ("" if feed is None else f"; {feed}")
        )
    if any(approximate):
        index = approximate.index(True)
        first, source = passes[index].rise, sources[index]
        if source is not None and source.why is not None:
            why = source.why
        elif source is not None and source.kind not in ("elements", "bundled"):
            why = f"{source.label} expected {source.expected_error_km:.0f} km off by then"
        else:
            why = "elements more than 3 days old by then"
        notices.append(f"passes from {iso_z(first)} approximate: {why}")
    degraded = feed_trouble or withheld_after is not None or any(approximate)
    orbit_said = None
    first_source = engine.source_at(at)
    if (
        covered_until is not None
        and first_source is not None
        and first_source.kind not in ("elements", "bundled")
        and first_source.created
    ):
        orbit_said = (
            f"orbit: {first_source.label} (made {first_source.created:%Y-%m-%d %H:%M}Z)"
            f" to {covered_until:%Y-%m-%d %H:%M}Z, then the elements"
        )
    return planned(
        passes=passes,
        approximate=approximate,
        sources=[s.kind if s is not None else None for s in sources],
        withheld=too_old,
        withheld_after=withheld_after,
        degraded=degraded,
        orbit_said=orbit_said,
    )


def passes_json(plan: PlannedPasses) -> dict[str, Any]:
    """The JSON of `passes --json` (a public interface, see README)."""
    observer = plan.observer
    choice = plan.choice
    return {
        "time": iso_z(plan.at),
        "days": plan.days,
        "visible_only": plan.visible_only,
        "observer": {
            "latitude_deg": observer.latitude_deg,
            "longitude_deg": observer.longitude_deg,
            "altitude_m": observer.altitude_m,
            "place": observer.place,
            "timezone": observer.timezone,
            "timezone_source": observer.timezone_source,
        },
        "elements": None
        if choice is None
        else {
            "epoch": iso_z(choice.elements.epoch),
            "origin": choice.info.origin,
            "age_h": round(choice.age_h, 2),
        },
        "passes": None
        if plan.choice is None or (plan.withheld is not None and plan.withheld_after is None)
        else [
            pass_json(p, approximate, plan.zone, source)
            for p, approximate, source in zip(
                plan.passes, plan.approximate, plan.sources, strict=True
            )
        ],
        "withheld": plan.withheld,
        "withheld_after": iso_z(plan.withheld_after) if plan.withheld_after else None,
        "feeds": plan.feeds,
        "notices": plan.notices,
        "degraded": plan.degraded,
    }


def _zone_said(plan: PlannedPasses, t: datetime) -> str:
    observer = plan.observer
    source = {
        "place": "the place's zone",
        "coordinates": "the zone at these coordinates",
        "system": "this computer's zone",
    }.get(observer.timezone_source or "", "this computer's zone")
    name = observer.timezone or "local"
    return f"times in {zone_abbreviation(t, plan.zone)} ({name}, {source})"


def table_lines(plan: PlannedPasses, columns: int, degree: str = "°") -> Iterator[str]:
    """The human form: a heading saying where, which zone and which elements, then a row a
    pass, then what is withheld or approximate. Below `_WIDE_COLUMNS` the rows are compact
    (no UTC beside the local time, shorter words) so that they fit 80 columns; the notices
    are wrapped to the width."""
    observer = plan.observer
    zone = plan.zone
    wide = columns >= _WIDE_COLUMNS
    where = f"{observer.place} ({observer.label()})" if observer.place else observer.label()
    yield f"ISS passes over {where}"
    heading = [
        f"from {iso_z(plan.at)} for {plan.days} day{'s' if plan.days != 1 else ''}, "
        f"elements: {_elements_said(plan.choice)}",
        *([plan.orbit_said] if plan.orbit_said else []),
        _zone_said(plan, plan.at),
    ]
    for line in heading:
        yield from _wrapped(line, columns)
    with_utc = wide and not is_utc(plan.at, zone)
    rows = []
    for p, approximate in zip(plan.passes, plan.approximate, strict=True):
        local = p.rise.astimezone(zone) if zone else p.rise.astimezone()
        duration = round(p.duration_s)
        if p.magnitude is None:
            magnitude = "-"
        else:
            magnitude = f"{p.magnitude:+.1f}" + (" est." if wide else "")
        if p.visible:
            seen = ("visible" if wide else "yes") + _visible_part(p, zone)
        else:
            seen = "no (daylight or shadow)" if wide else "no"
        if approximate:
            seen += " ~approx." if wide else " ~"
        rows.append(
            (
                local.strftime("%a %d %b"),
                format_local(p.rise, zone, with_utc),
                f"{duration // 60}m{duration % 60:02d}s",
                f"{p.max_elevation_deg:.0f}{degree}",
                pass_directions(p),
                magnitude,
                seen,
            )
        )
    header = (
        "Date", "Start", "Length", "Max", "Direction",
        "Magnitude" if wide else "Mag.", "Visible",
    )  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    gap = "  " if wide else " "
    if plan.passes:
        for row in [header, *rows]:
            yield "  " + gap.join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
    elif plan.withheld is None or plan.withheld_after is not None:
        kind = "visible passes" if plan.visible_only else "passes"
        yield f"  no {kind} above the minimum elevation in this span"
    for notice in plan.notices:
        yield from _wrapped(f"! {notice}", columns)
    if plan.passes and any(p.magnitude is not None for p in plan.passes):
        yield from _wrapped(
            "Magnitudes are estimates (about +-1 mag); lower is brighter: -3 is very bright."
            + ("" if wide else " ~: approximate (old elements)."),
            columns,
        )


def _wrapped(text: str, columns: int) -> Iterator[str]:
    yield from textwrap.wrap(
        text, width=max(40, columns - 1), initial_indent="  ", subsequent_indent="    "
    )


def _visible_part(p: Pass, zone: tzinfo | None) -> str:
    """What part of a visible pass can be seen, when not all of it: " from 05:03" (it
    comes out of the shadow, or the sky darkens), ", fades at 20:16" (into the shadow),
    " until 05:30" (the sky brightens at dawn). Local times; the heading names the zone."""
    margin = timedelta(seconds=5)
    start, until = p.visible_from, p.visible_until
    said = ""
    if start is not None and start > p.rise + margin:
        said += f" from {_clock(start, zone)}"
    if until is not None and until < p.set - margin:
        if p.shadow_entry is not None and abs(until - p.shadow_entry) <= margin:
            said += f", fades at {_clock(until, zone)}"
        else:
            said += f" until {_clock(until, zone)}"
    return said


def _clock(t: datetime, zone: tzinfo | None) -> str:
    return (t.astimezone(zone) if zone else t.astimezone()).strftime("%H:%M")


def _elements_said(choice: ElementsChoice | None) -> str:
    if choice is None:
        return "none"
    return f"{choice.info.origin}, {describe_age(choice.age_h)} at the start"


def write_ics(plan: PlannedPasses, path: Path, engine: OrbitEngine | None) -> int:
    """The visible passes of `plan` as an iCalendar file at `path`; how many were written."""
    from issdash.model.passes.calendar import passes_calendar

    calendar = passes_calendar(plan.observer, plan.zone, plan.passes, plan.approximate, engine)
    data = calendar.to_ical()
    try:
        _write_without_waiting(path, data)
    except OSError as exc:
        why = "a pipe nobody reads" if exc.errno == errno.ENXIO else (exc.strerror or str(exc))
        raise PassesUsageError(f"--ics {path}: cannot write it ({why})") from None
    return sum(1 for p in plan.passes if p.visible)


def _write_without_waiting(path: Path, data: bytes) -> None:
    """`data` to `path`. Opened non-blocking: opening a FIFO that nobody reads would
    otherwise wait forever (ENXIO instead); once open, writes block as usual, so a reader
    that is there gets all of it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o666)
    try:
        os.set_blocking(fd, True)
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
    finally:
        os.close(fd)


def run_passes(
    settings: Settings,
    at: datetime | None,
    now: datetime,
    days: int,
    visible_only: bool,
    as_json: bool,
    ics: Path | None,
    timeout_s: float,
    recording: Recording | None = None,
    element_history: tuple[ElementsInfo, ...] = (),
) -> int:
    """The whole command; returns the exit status (0 good, 3 degraded). With a recording
    (`--demo`), its elements and its start time (unless `--at`), never the network."""
    from issdash.core.runtime import Runtime, demo_settings
    from issdash.feeds.clock import FrozenClock
    from issdash.model.strict_json import dumps_strict

    observer = settings.zoned_observer()
    if observer is None:
        raise PassesUsageError(
            "passes needs an observer: --place NAME or --observer LAT,LON[,ALT_M]"
            " (or `place`/`observer` in the config file)"
        )
    start = at or (recording.start if recording is not None else now)
    check_span(start, days)
    if recording is not None:
        replayed = only_orbit_feeds(demo_settings(settings, recording))
        runtime = Runtime(replayed, FrozenClock(start), mode="demo", recording=recording)
    else:
        runtime = Runtime(only_orbit_feeds(settings), FrozenClock(start), mode="live")
    runtime.element_history = element_history
    asyncio.run(runtime.preload_cache())
    runtime.load_fallbacks()
    asyncio.run(runtime.gather_once(timeout_s))
    zone = settings.observer_zone()
    plan = plan_passes(
        runtime, observer, zone, start, days, settings.min_elevation_deg, visible_only
    )
    if ics is not None:
        engine = OrbitEngine(plan.choice.elements) if plan.choice is not None else None
        count = write_ics(plan, ics, engine)
        if not as_json:
            _print(f"wrote {count} visible pass{'es' if count != 1 else ''} to {ics}")
    if as_json:
        sys.stdout.write(dumps_strict(passes_json(plan)) + "\n")
    else:
        columns = shutil.get_terminal_size((80, 24)).columns
        encoding = (getattr(sys.stdout, "encoding", None) or "ascii").lower()
        degree = "°" if "utf" in encoding else " deg"
        for line in table_lines(plan, columns, degree):
            _print(line)
    sys.stdout.flush()
    return 3 if plan.degraded else 0


def only_orbit_feeds(settings: Settings) -> Settings:
    """The settings with every feed but the orbit's (elements, NASA's trajectory, CelesTrak's
    fit to it) off: passes need nothing else."""
    from issdash.config.settings import ALL_FEEDS

    feeds = settings.feeds.model_copy(deep=True)
    for name in ALL_FEEDS:
        if name not in ORBIT_FEEDS:
            feeds.get(name).enabled = False
    return settings.model_copy(update={"feeds": feeds})


def _print(line: str) -> None:
    print(clean_text(line, 300, keep_spacing=True))


def passes_command(args: argparse.Namespace, settings: Settings) -> int:
    """`issdash passes` from its parsed flags; what cannot be answered is a usage error."""
    from issdash.commands.exits import LocalInputError, declare_one_off
    from issdash.commands.inputs import element_history, recording
    from issdash.core.gc_pause import freeze_at_exit
    from issdash.feeds.clock import SystemClock

    logging.basicConfig(level=logging.ERROR)
    # A one-off, as `status`: nothing it built needs collecting, nor freeing, at the end.
    freeze_at_exit()
    declare_one_off()
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
            recording=recording(args) if args.demo is not None else None,
            element_history=element_history(settings),
        )
    except PassesUsageError as exc:
        raise LocalInputError(str(exc)) from None
