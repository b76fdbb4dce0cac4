"""A wall-clock jump (hours, either way) must not wedge pollers or count down below zero."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issdash.config.settings import FEED_NAMES, load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock, clock_doubt
from issdash.feeds.health import FeedHealth
from issdash.feeds.poller import FeedEvent, FeedSpec, FeedUpdate, Poller
from issdash.feeds.sources import RawResponse
from issdash.model.state import MissionState
from issdash.model.visits.timeline import build_timelines, next_event
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.mission_bar import MissionBar
from issdash.widgets.telemetry import TelemetryPanel
from tests.support.processes import offline_env

T0 = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)


class JumpyClock:
    """Wall time that an administrator (or NTP) can move; waiting stays monotonic."""

    speed = 1.0

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self._start = asyncio.get_running_loop().time()

    def now(self) -> datetime:
        return T0 + timedelta(seconds=asyncio.get_running_loop().time() - self._start) + self.offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class CountingSource:
    def __init__(self, clock: JumpyClock) -> None:
        self.clock = clock
        self.calls = 0

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        self.calls += 1
        return RawResponse(url, 200, "text/plain", "x", self.clock.now())


async def test_pollers_keep_their_pace_through_jumps_both_ways() -> None:
    clock = JumpyClock()
    source = CountingSource(clock)
    events: list[FeedEvent] = []
    spec: FeedSpec[Any] = FeedSpec("crew", "replay://x", lambda raw, now: raw.body, 0.05, 1.0, 1.0)
    task = asyncio.create_task(Poller(spec, source, clock, events.append).run())
    await asyncio.sleep(0.3)
    before = source.calls
    clock.offset = timedelta(hours=-5)  # the wall clock steps back five hours
    await asyncio.sleep(0.3)
    after_back = source.calls
    clock.offset = timedelta(hours=+7)  # and then forward
    await asyncio.sleep(0.3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # Same cadence in every window: sleeping is monotonic, so no jump stalls or floods.
    assert 3 <= before <= 8
    assert 3 <= after_back - before <= 8
    assert 3 <= source.calls - after_back <= 8


def test_ages_and_countdowns_never_go_negative_after_a_jump_back() -> None:
    health = FeedHealth("crew", True, 60).succeeded(T0)
    assert health.age_s(T0 - timedelta(hours=3)) == 0.0
    # Its answer arrived "after" now: a negative age is never fresh (issue 24), only within
    # the skew of issdash.feeds.source_time is it taken as now.
    assert health.state(T0 - timedelta(hours=3)) == "stale"
    assert health.state(T0 - timedelta(seconds=60)) == "ok"
    import json

    from issdash.feeds.adapters.schedule import parse_dockings, parse_launches
    from scripts.fixtures.ms27_payloads import ll2_dockings, ll2_launches

    state = MissionState().with_feeds(
        {
            "launches": FeedHealth("launches", True, 1200),
            "dockings": FeedHealth("dockings", True, 1200),
        }
    )
    for feed, parse, payload in (
        ("launches", parse_launches, ll2_launches()),
        ("dockings", parse_dockings, ll2_dockings()),
    ):
        value = parse(RawResponse("u", 200, "", json.dumps(payload), T0), T0)
        state = state.apply(FeedUpdate(feed, value, T0))
    for hours in (-30, -5, 0, 3, 30, 24 * 30):
        now = T0 + timedelta(hours=hours)
        found = next_event(build_timelines(state, now), now)
        if found is not None:
            # An estimate whose time passed unconfirmed stays next, shown as "expected ...,
            # not confirmed", never as a negative countdown; anything else is still to come.
            phase = found[1]
            assert (phase.time - now).total_seconds() > 0 or phase.unconfirmed(now)


# -- any clock: 1970, 2031, jumps; the screen says so and recovers --------------------


EPOCH = datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC)  # the bundled elements'


def test_clock_doubt() -> None:
    assert clock_doubt(datetime(1970, 1, 1, tzinfo=UTC), None) == ("clock looks wrong: before 2024")
    assert "96 days before the orbital elements' epoch (2025-04-07)" in str(
        clock_doubt(EPOCH - timedelta(days=96), EPOCH)
    )
    assert "6.1 years after the newest orbital elements" in str(
        clock_doubt(datetime(2031, 6, 1, tzinfo=UTC), EPOCH)
    )
    for fine in (EPOCH, EPOCH + timedelta(days=40), EPOCH - timedelta(hours=12)):
        assert clock_doubt(fine, EPOCH) is None


def live_app(tmp_path: Path, clock: FrozenClock) -> IssDashApp:
    feeds: dict[str, Any] = {f: {"enabled": False} for f in FEED_NAMES}
    settings = load_settings(cache_dir=tmp_path / "c", feeds=feeds, observer="51.5,-0.13")
    return IssDashApp(Runtime(settings, clock, mode="live"), start_feeds=False)


def panel_text(app: IssDashApp, widget: type[Any]) -> str:
    return "\n".join(line.plain for line in app.query_one(widget).build_lines())


@pytest.mark.slow
async def test_dashboard_through_1970_2031_and_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = EPOCH + timedelta(hours=20)
    clock = FrozenClock(now)
    app = live_app(tmp_path, clock)
    caplog.set_level(logging.WARNING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert "CLOCK?" not in panel_text(app, MissionBar)
        assert "Altitude" in panel_text(app, TelemetryPanel)
        for wrong, says in (
            (datetime(1970, 1, 1, tzinfo=UTC), "before 2024"),
            (datetime(2031, 6, 1, tzinfo=UTC), "years after the newest orbital elements"),
            (EPOCH - timedelta(days=96), "96 days before the orbital elements' epoch"),
        ):
            clock.set(wrong)
            app._tick()
            await pilot.pause(0.2)
            bar = panel_text(app, MissionBar)
            assert "CLOCK?" in bar and says in bar, bar
            telemetry = panel_text(app, TelemetryPanel)
            # never "96d old" for elements 96 days ahead
            assert not re.search(r"\d[dhm]( \d+[hm])? old", telemetry), telemetry
            assert "Next pass  in" not in telemetry or "d " not in telemetry.split("in ")[1][:6]
            clock.set(now)  # NTP answers: the screen recovers at the next tick
            app._tick()
            await pilot.pause(0.3)
            assert "CLOCK?" not in panel_text(app, MissionBar)
            assert "Altitude" in panel_text(app, TelemetryPanel)
        assert app.is_running
    assert "updating the views failed" not in caplog.text  # no tick failed on the way


async def test_passes_are_searched_again_after_a_jump_back(tmp_path: Path) -> None:
    now = EPOCH + timedelta(days=2)
    clock = FrozenClock(now)
    app = live_app(tmp_path, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.passes:
                break
        assert app.passes
        clock.set(now - timedelta(days=1, hours=6))  # the clock steps back a day and more
        app._tick()
        for _ in range(100):
            await pilot.pause(0.05)
            if app.passes and app.passes[0].rise - clock.now() < timedelta(days=1):
                break
        telemetry = panel_text(app, TelemetryPanel)
        head = telemetry.split("Next pass")[1].split("\n")[0]
        assert "d " not in head, head  # "in 1d 05h" was a pass found before the jump


def test_no_negative_element_age_in_status_text(capsys: pytest.CaptureFixture[str]) -> None:
    from issdash.commands.status import print_status

    print_status(
        {
            "time": "2025-01-01T00:00:00Z",
            "mode": "live",
            "position": {
                "latitude_deg": 1.0,
                "longitude_deg": 2.0,
                "altitude_km": 420.0,
                "speed_km_s": 7.66,
                "sunlit": True,
                "orbit_number": 1,
                "elements_age_h": -2304.0,
            },
            "passes": [],
            "feeds": {},
        }
    )
    lines = capsys.readouterr().out.splitlines()
    assert "elements epoch 96d 0h in the future" in lines[1]
    assert "-" not in lines[1].split("elements")[1]


# -- a real process started under a faked clock (libfaketime) ---------------------------

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


@pytest.fixture(scope="module")
def libfaketime() -> Path:
    if not LIBFAKETIME.exists() and shutil.which("apt-get"):
        install = ["apt-get", "install", "-y", "-q", "faketime"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, capture_output=True, env=env, check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
            subprocess.run(install, capture_output=True, env=env, check=False)
    if not LIBFAKETIME.exists():
        pytest.skip("libfaketime is not installed and could not be installed (apt-get)")
    return LIBFAKETIME


def faked_env(tmp_path: Path, lib: Path, when: str) -> dict[str, str]:
    return offline_env(
        tmp_path,
        ISSDASH_LOG_FILE=str(tmp_path / "log"),
        LD_PRELOAD=str(lib),
        FAKETIME=f"@{when}",
        FAKETIME_DONT_FAKE_MONOTONIC="1",
        TERM="xterm-256color",
    )


@pytest.mark.slow
@pytest.mark.parametrize("when", ["1970-01-01 00:00:00", "2031-06-01 12:00:00"])
def test_status_under_a_faked_clock(tmp_path: Path, libfaketime: Path, when: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "issdash", "status", "--timeout", "1"],
        capture_output=True,
        text=True,
        env=faked_env(tmp_path, libfaketime, when),
        timeout=120,
        cwd=Path(__file__).parent.parent.parent,
    )
    assert result.returncode != 1, result.stderr  # no crash (0, or 3 for degraded data)
    assert "Traceback" not in result.stderr
    assert f"issdash status at {when[:4]}" in result.stdout  # the fake clock was in effect
    assert "! clock looks wrong" in result.stdout
    assert " km/s " not in result.stdout  # no position made up from elements years away


@pytest.mark.slow
@pytest.mark.parametrize("when", ["1970-01-01 00:00:00", "2031-06-01 12:00:00"])
def test_dashboard_starts_under_a_faked_clock(tmp_path: Path, libfaketime: Path, when: str) -> None:
    out = tmp_path / "screen"
    with out.open("wb") as screen:
        process = subprocess.Popen(
            [sys.executable, "-m", "issdash"],
            stdin=subprocess.DEVNULL,
            stdout=screen,
            stderr=subprocess.STDOUT,
            # Wide enough for the warning's words beside the clock once feeds are down (at 80
            # columns they are cut: whether the first frame came before the first failures
            # was a race, lost once there were nine feeds to fail).
            env={**faked_env(tmp_path, libfaketime, when), "COLUMNS": "120", "LINES": "40"},
            cwd=Path(__file__).parent.parent.parent,
        )
        try:
            import time

            deadline = time.monotonic() + 90  # generous: start-up on a loaded machine
            while time.monotonic() < deadline:
                time.sleep(0.25)
                if b"clock looks wrong" in out.read_bytes() or process.poll() is not None:
                    break
            assert process.poll() is None, out.read_bytes()[-2000:]  # still running
            assert b"CLOCK?" in out.read_bytes()
            assert b"clock looks wrong" in out.read_bytes()
        finally:
            process.terminate()
            code = process.wait(60)
    assert code == 0  # SIGTERM is a clean stop
    assert b"Traceback" not in out.read_bytes()
