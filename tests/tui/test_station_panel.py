"""The Station panel and the telemetry feed in the app, on the bundled ISSLIVE sample (real
NASA values) and on a Lightstreamer server started by the test."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from textual.pilot import Pilot

from issdash.commands.cli import main
from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, bundled_path, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.feeds.isslive import utc_to_timestamp
from issdash.model.kiosk import KioskController
from issdash.model.station import StationModel
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.station_panel import StationPanel, radar_text
from tests.support.lsserver import serving_in_a_thread, telemetry_only

SAMPLE = bundled_path("isslive-2018-10-13.jsonl.gz")


def sample_app(at: datetime, kiosk: KioskController | None = None) -> IssDashApp:
    runtime = Runtime.for_demo(load_settings(), load_demo_recording(SAMPLE), FrozenClock(at))
    return IssDashApp(runtime, kiosk=kiosk)


async def settle(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, IssDashApp)
    for _ in range(200):
        if app.runtime.store.state.station is not None:
            break
        await pilot.pause(0.02)
    app._tick()
    await pilot.pause()


def panel_text(app: IssDashApp) -> str:
    return "\n".join(line.plain for line in app.query_one(StationPanel)._lines)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_station_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if size[1] < 30:
            await pilot.press("s")  # the panel's own view on a short terminal
            await pilot.pause()

    app = sample_app(datetime(2018, 10, 13, 0, 58, tzinfo=UTC))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_station_snapshot_loss_of_signal(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)

    # The real 31 s gap in the recording (00:07:56-00:08:27): no item updates at all.
    app = sample_app(datetime(2018, 10, 13, 0, 8, 20, tzinfo=UTC))
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_real_values_and_loss_of_signal_in_the_panel() -> None:
    app = sample_app(datetime(2018, 10, 13, 0, 8, 20, tzinfo=UTC))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = panel_text(app)
        assert "LOS since 00:07:52Z" in text  # the last value before the gap
        assert "99.1 kPa" in text and "14.37 psi" in text  # 743.3 mmHg
        assert "AOS" not in text


@pytest.mark.slow
async def test_station_view_key_and_the_kiosk_cycle() -> None:
    kiosk = KioskController(load_settings().kiosk)
    app = sample_app(datetime(2018, 10, 13, 0, 30, tzinfo=UTC), kiosk=kiosk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "station" in kiosk.views
    plain = sample_app(datetime(2018, 10, 13, 0, 30, tzinfo=UTC))
    async with plain.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = plain.query_one("#station-panel")
        assert not panel.display  # 24 rows: only in its own view
        await pilot.press("s")
        await pilot.pause()
        assert panel.display and not plain.query_one("#telemetry-panel").display


def test_status_json_from_the_bundled_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--json", "--demo", str(SAMPLE), "--at", "2018-10-13T00:30:00Z"])
    station = json.loads(capsys.readouterr().out)["station"]
    assert code == 3  # no orbital elements of 2018: the position is not to be trusted
    assert station["signal"] == "AOS"
    assert station["attitude"]["yaw_deg"] == pytest.approx(-10, abs=5)
    assert station["cabin_pressure_kpa"] == pytest.approx(99.0, abs=0.2)
    assert station["ppo2_kpa"] is None  # not in the recording: null, not 0
    assert station["items"]["USLAB000040"]["stale"] is False
    assert set(station) >= {"signal_since", "cmg_momentum_pct", "water_tank_pct", "items"}


def test_status_json_station_from_a_live_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status --json` opens a Lightstreamer session, takes the snapshot, and closes it."""
    now = datetime.now(UTC)
    ts = f"{utc_to_timestamp(now):.8f}"
    snapshot = [
        ("NODE3000005", {"Value": "35", "TimeStamp": ts}),
        ("TIME_000001", {"TimeStamp": ts, "Status.Class": "24"}),
    ]
    with serving_in_a_thread(snapshot) as url:
        telemetry_only(monkeypatch, url)
        code = main(["status", "--json", "--timeout", "8"])
    report = json.loads(capsys.readouterr().out)
    assert report["station"]["urine_tank_pct"] == 35
    assert report["feeds"]["telemetry"]["state"] == "ok"
    assert code in (0, 3)


def test_radar_shows_only_with_signal_and_target() -> None:
    model = StationModel()
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ts = f"{utc_to_timestamp(now):.8f}"
    model.apply_raw("RUSSEG000005", {"Value": "1240", "TimeStamp": ts}, now)
    model.apply_raw("RUSSEG000006", {"Value": "-0.5", "TimeStamp": ts}, now)
    assert model.radar(now) is None  # no target acquisition yet
    model.apply_raw("RUSSEG000009", {"Value": "1", "TimeStamp": ts}, now)
    assert model.radar(now) == (1240, -0.5)
    assert radar_text(1240, -0.5) == "1.24 km  rate -0.5 m/s"
    assert model.radar(now + timedelta(minutes=5)) is None  # signal lost: not live
