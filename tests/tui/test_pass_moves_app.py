"""Passes that move, in the dashboard's pass feature (issdash.tui.passes.control on a plain
Textual app, as tests/tui/test_passes_view.py runs it): new elements 2 degrees along the orbit
move Cairns' visible passes by ~31 s; the planner marks the rows and, with alerts on, one
notice says so; with alerts off the marks stay and nothing is said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from issdash.config.settings import Settings, load_settings
from issdash.feeds.adapters.oem import Oem, parse_oem
from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.sources import RawResponse
from issdash.model.orbit import OrbitEngine
from issdash.tui.passes.control import PassesControl
from issdash.tui.passes.screen import PassPlannerScreen
from issdash.widgets.passes.planner import columns_for
from scripts.fixtures.elements import tle_text
from scripts.fixtures.oem import Event, build_trajectory, write_kvn
from tests.support.oem_sample import with_oem
from tests.support.passes_host import bare_passes_control

CAIRNS = "-16.92,145.77"
AT = datetime(2025, 4, 8, 9, 5, tzinfo=UTC)  # 20 min before a visible pass at Cairns
# The new elements come a quarter of an hour after the first passes were shown.
LATER = AT + timedelta(minutes=15)
WAIT_STEPS = 1500  # x 0.02 s: the searches run in threads on a busy machine


def engine(mean_anomaly_deg: float) -> OrbitEngine:
    text = tle_text(mean_anomaly_deg=mean_anomaly_deg)
    return OrbitEngine(parse_elements(RawResponse("x", 200, "", text, AT), AT))


def control_for(app: App[None], settings: Settings) -> PassesControl:
    return bare_passes_control(app, settings, AT)[0]


async def search(
    pilot: Pilot[None], control: PassesControl, orbit: OrbitEngine, at: datetime = AT
) -> None:
    before = control.passes
    control.ensure_passes(orbit, control.host.store.state.observer, at)
    for _ in range(WAIT_STEPS):
        if control.passes is not None and control.passes is not before:
            break
        await pilot.pause(0.02)


def reboost_trajectory(burn: datetime) -> Oem:
    """NASA's trajectory planning a 0.4 m/s reboost at `burn`."""
    start = burn - timedelta(hours=6)
    trajectory = build_trajectory(start, hours=12, step_s=1800.0, burn=burn)
    body = write_kvn(trajectory, [Event("GMT098 Reboost", burn, 0.4)])
    return parse_oem(RawResponse("file:///oem.txt", 200, "", body, start), None)


async def run(
    alerts_on: bool, burn: datetime | None = None
) -> tuple[PassesControl, list[str], list[str]]:
    settings = load_settings(observer=CAIRNS, alerts={"enabled": alerts_on, "desktop": False})
    app: App[None] = App()
    control = control_for(app, settings)
    if burn is not None:
        oem = reboost_trajectory(burn)
        control.host.store.update(lambda s: with_oem(s, oem, AT))
    told: list[str] = []

    def notify(message: str, **_: Any) -> None:
        told.append(message)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await search(pilot, control, engine(341.0349))
        assert control.changes is None and told == []
        await search(pilot, control, engine(343.0349), LATER)
        control.open()
        await pilot.pause()
        assert isinstance(app.screen, PassPlannerScreen)
        view = app.screen.planner.view
        assert view is not None
        marks = [r.change for r in view.rows if r.visible]
        # Drawn in the Start cell of the table: "19:24 AEST (was 19:25)".
        table = app.screen.planner.table
        first = next(i for i, r in enumerate(view.rows) if r.visible)
        start = str(table.get_row_at(first)[columns_for(table.size.width).index("Start")])
        assert start.endswith(f"({view.rows[first].change})"), start
    return control, told, marks


async def test_new_elements_that_move_the_passes_are_marked_and_told_once() -> None:
    control, told, marks = await run(alerts_on=True)
    assert control.changes is not None and control.changes.reason == "after new elements"
    assert marks and all(m.startswith("was ") for m in marks), marks
    # One notice: the first pass, how many more, why (Cairns' zone is Brisbane's).
    assert len(told) == 1, told
    assert told[0].endswith("more changes), after new elements"), told
    assert " pass now " in told[0]


async def test_a_reboost_planned_after_the_old_elements_is_named_as_why() -> None:
    # The elements are of 2025-04-07 12:29; NASA's trajectory plans a reboost at 07:00 the
    # next morning, before Cairns' passes of that evening.
    _, told, _ = await run(alerts_on=True, burn=datetime(2025, 4, 8, 7, 0, tzinfo=UTC))
    assert len(told) == 1 and told[0].endswith(", after the reboost"), told


async def test_with_alerts_off_the_rows_are_marked_and_nothing_is_said() -> None:
    control, told, marks = await run(alerts_on=False)
    assert control.changes is not None
    assert marks and all(m.startswith("was ") for m in marks)
    assert told == []


async def test_passes_replaced_within_minutes_are_not_told() -> None:
    """At start-up the bundled (or cached) elements give passes, then the feed's answer:
    that list was nobody's plan yet."""
    settings = load_settings(observer=CAIRNS)
    app: App[None] = App()
    control = control_for(app, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await search(pilot, control, engine(341.0349))
        await search(pilot, control, engine(343.0349), AT + timedelta(minutes=2))
        assert control.changes is None


async def test_the_same_orbit_searched_again_keeps_the_marks() -> None:
    settings = load_settings(observer=CAIRNS)
    app: App[None] = App()
    control = control_for(app, settings)
    moved = engine(343.0349)
    async with app.run_test(size=(120, 40)) as pilot:
        await search(pilot, control, engine(341.0349))
        await search(pilot, control, moved, LATER)
        marked = control.changes
        assert marked is not None
        # Seven hours on, the same orbit is searched again (passes are kept 6 h): its passes
        # are the same, and the marks of the last new orbit stay.
        await search(pilot, control, moved, AT + timedelta(hours=7))
        assert control.changes == marked
