"""The dashboard with NASA's trajectory: the telemetry panel, the map and the pass planner all
place the station from the one source chosen for the time (issue 25, "the panel, planner and
map use the same source"), and the panel says which source and how old it is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from issdash.config.settings import ALL_FEEDS, load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.adapters.oem import parse_oem
from issdash.feeds.clock import FrozenClock
from issdash.feeds.sources import RawResponse
from issdash.feeds.values import Observer
from issdash.model.orbit import OrbitEngine
from issdash.model.orbit_source import OrbitInputs
from issdash.model.passes.upcoming import passes_between
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.telemetry import TelemetryPanel
from scripts.fixtures.oem import build_trajectory, write_kvn
from tests.support.dashboards import screen_text
from tests.support.oem_sample import START_2022

NOW = START_2022 + timedelta(hours=20, minutes=3, seconds=17)
BOSTON = Observer(latitude_deg=42.36, longitude_deg=-71.06)


async def test_panel_map_and_planner_place_the_station_from_nasa_trajectory(
    tmp_path: Path,
) -> None:
    text = write_kvn(build_trajectory(START_2022, hours=48.0, step_s=240.0, burn=None), [])
    path = tmp_path / "ISS.OEM_J2K_EPH.txt"
    path.write_text(text)
    feeds: dict[str, Any] = {name: {"enabled": False} for name in ALL_FEEDS}
    feeds["oem"] = {"url": path.as_uri()}
    settings = load_settings(
        cache_dir=tmp_path / "cache", feeds=feeds, timezone="UTC", observer="42.36,-71.06"
    )
    app = IssDashApp(Runtime(settings, FrozenClock(NOW), mode="live"))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(250):
            if app.runtime.store.state.oem is not None:
                break
            await pilot.pause(0.02)
        for _ in range(250):
            app._tick()
            await pilot.pause(0.02)
            if app.passes_control.search.passes:
                break
        app._tick()
        await pilot.pause()
        # The truth, built apart from the app: an engine on the trajectory alone.
        oem = parse_oem(RawResponse(path.as_uri(), 200, "", text, NOW), None)
        state = app.runtime.store.state
        choice = state.elements_at(NOW)
        assert choice is not None
        reference = OrbitEngine(
            choice.elements, OrbitInputs.of(oem=oem, elements=choice.info)
        ).state_at(NOW)

        view = app.query_one(TelemetryPanel).view
        assert view is not None and view.telemetry is not None
        source = view.telemetry.source
        assert source is not None and source.kind == "nasa-oem"
        panel_station = view.telemetry.station
        assert abs(panel_station.latitude_deg - reference.latitude_deg) < 1e-6
        assert abs(panel_station.longitude_deg - reference.longitude_deg) < 1e-6

        scene = app.query_one(GroundTrackMap).scene
        assert scene is not None and scene.station is not None
        assert abs(scene.station[0] - reference.latitude_deg) < 1e-6
        assert abs(scene.station[1] - reference.longitude_deg) < 1e-6

        planned = app.passes_control.search.passes
        assert planned, "Boston sees the station within the trajectory's two days"
        inside = [p for p in planned if p.set < oem.header.stop]
        expected = passes_between(
            OrbitEngine(choice.elements, OrbitInputs.of(oem=oem, elements=choice.info)),
            BOSTON,
            NOW,
            oem.header.stop,
            10.0,
        )
        wanted = [p for p in expected if p.set < oem.header.stop]
        assert len(inside) == len(wanted)
        # The same passes to skyfield's search bracket (the planner starts its search from
        # its own moment, so the roots are refined from other brackets).
        for got, want in zip(inside, wanted, strict=True):
            assert abs((got.rise - want.rise).total_seconds()) < 0.5
            assert abs((got.set - want.set).total_seconds()) < 0.5

        screen = screen_text(app)
        assert "NASA trajectory, 1" in screen  # "NASA trajectory, 13h 10m old"
        assert "vs NASA" in screen
        # The bundled 2025 set is thousands of km from a 2022 trajectory: a notice names both.
        assert "elements and NASA trajectory disagree by" in screen
