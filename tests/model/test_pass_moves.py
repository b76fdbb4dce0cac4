"""Passes that move (issdash.model.passes.moves): two element sets a few seconds apart along
the orbit, diffed; what appears and vanishes; why, in words; the planner's marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.sources import RawResponse
from issdash.feeds.values import Observer
from issdash.model.manoeuvres import Manoeuvre
from issdash.model.orbit import OrbitEngine
from issdash.model.passes.finder import Pass
from issdash.model.passes.moves import PassChanges, change_reason, diff_passes
from issdash.model.passes.planner import planner_view
from issdash.model.passes.upcoming import passes_between
from scripts.fixtures.elements import tle_text

BRISBANE = ZoneInfo("Australia/Brisbane")
CAPE_TOWN = Observer(latitude_deg=-33.92, longitude_deg=18.42)
CAIRNS = Observer(latitude_deg=-16.92, longitude_deg=145.77, timezone="Australia/Brisbane")
START = datetime(2025, 4, 8, 0, 0, tzinfo=UTC)
END = START + timedelta(days=2)
RISE = datetime(2025, 4, 8, 9, 25, 26, tzinfo=UTC)  # Tue 19:25 in Brisbane


def passes_for(mean_anomaly_deg: float) -> list[Pass]:
    text = tle_text(mean_anomaly_deg=mean_anomaly_deg)
    engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", text, START), START))
    return passes_between(engine, CAPE_TOWN, START, END, 10.0)


@pytest.fixture(scope="module")
def before() -> list[Pass]:
    return passes_for(341.0349)


def test_a_shift_along_the_orbit_moves_every_visible_pass(before: list[Pass]) -> None:
    # 2 degrees of mean anomaly: the station ~31 s ahead of where the old set put it.
    after = passes_for(343.0349)
    changes = diff_passes(before, after, START, END)
    visible = [p for p in before if p.visible]
    assert visible  # Cape Town sees the station these two days
    moved = [c for c in changes if c.kind == "moved"]
    assert len(moved) >= len(visible) - 1  # one at an edge may turn visible or not instead
    for c in moved:
        assert c.before is not None and c.after is not None
        assert (c.before.rise - c.after.rise).total_seconds() == pytest.approx(31, abs=6)


def test_a_shift_of_a_second_or_two_is_not_told(before: list[Pass]) -> None:
    after = passes_for(341.1349)  # 0.1 degree: about 1.5 s
    assert diff_passes(before, after, START, END) == ()


def seen(rise: datetime, visible: bool = True) -> Pass:
    return Pass(
        rise=rise,
        culminate=rise + timedelta(minutes=3),
        set=rise + timedelta(minutes=6),
        max_elevation_deg=60.0,
        visible=visible,
        rise_azimuth_deg=330.0,
        culminate_azimuth_deg=45.0,
        set_azimuth_deg=135.0,
        magnitude=-3.0 if visible else None,
        visible_from=rise if visible else None,
        visible_until=rise + timedelta(minutes=6) if visible else None,
    )


DAY = timedelta(days=1)


def test_passes_that_appear_vanish_or_only_turn_invisible() -> None:
    old = [seen(RISE), seen(RISE + DAY), seen(RISE + 2 * DAY, visible=False)]
    new = [seen(RISE + timedelta(minutes=2)), seen(RISE + DAY, visible=False), seen(RISE + 2 * DAY)]
    changes = diff_passes(old, new, RISE - DAY, RISE + 5 * DAY)
    assert [(c.kind, c.time) for c in changes] == [
        ("moved", RISE + timedelta(minutes=2)),
        ("vanished", RISE + DAY),
        ("appeared", RISE + 2 * DAY),
    ]
    # A pass past the end of where both searches reach is not "new".
    assert diff_passes(old[:1], [*old[:1], seen(RISE + 3 * DAY)], RISE, RISE + 3 * DAY) == ()
    # Nor is one that ended before now "gone".
    assert diff_passes(old[:1], [], RISE + DAY, RISE + 5 * DAY) == ()


def reboost(at: datetime) -> Manoeuvre:
    return Manoeuvre("GMT098 Reboost", "reboost", at, 0.4, 423.8, 409.1)


def test_the_reason_names_a_burn_between_the_old_orbit_and_the_pass() -> None:
    changes = diff_passes([seen(RISE)], [seen(RISE + timedelta(minutes=2))], START, END)
    epoch = RISE - DAY
    assert change_reason(changes, [reboost(RISE - timedelta(hours=5))], epoch) == (
        "after the reboost"
    )
    # A burn the old orbit already knew (before its epoch), or one after the pass: not why.
    assert change_reason(changes, [reboost(epoch - DAY)], epoch) == "after new elements"
    assert change_reason(changes, [reboost(RISE + DAY)], epoch) == "after new elements"
    assert change_reason(changes, [], epoch, "nasa-oem") == "after NASA's new trajectory"


def test_one_notice_and_the_planner_marks() -> None:
    old = [seen(RISE), seen(RISE + DAY), seen(RISE + 2 * DAY, visible=False)]
    new = [seen(RISE + timedelta(minutes=2)), seen(RISE + DAY, visible=False), seen(RISE + 2 * DAY)]
    changes = PassChanges(diff_passes(old, new, START, RISE + 5 * DAY), "after the reboost")
    assert changes.notice(BRISBANE) == (
        "Tue 19:25 pass now 19:27 (and 2 more changes), after the reboost"
    )
    view = planner_view(new, CAIRNS, START, BRISBANE, min_elevation_deg=10, changes=changes)
    assert [r.change for r in view.rows] == ["was 19:25", "", "new"]
    assert view.gone == "No longer visible: Wed 19:25 (after the reboost)"
    # Without changes, nothing is marked.
    plain = planner_view(new, CAIRNS, START, BRISBANE, min_elevation_deg=10)
    assert [r.change for r in plain.rows] == ["", "", ""] and plain.gone is None


def test_a_move_within_the_minute_is_said_to_the_second() -> None:
    moved = seen(RISE + timedelta(seconds=20))  # 19:25:26 -> 19:25:46
    changes = PassChanges(diff_passes([seen(RISE)], [moved], START, END), "after new elements")
    assert changes.notice(BRISBANE) == "Tue 19:25:26 pass now 19:25:46, after new elements"
    assert changes.mark(moved, BRISBANE) == "was 19:25:26"
