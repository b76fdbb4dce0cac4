"""The demo's moments: the launch card (from the launch record), the pad on the map, and the
banners at liftoff, docking and hatch opening (pure logic with an injected clock, then the
dashboard)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.adapters.schedule import LaunchCrewMember, parse_launches
from issdash.feeds.clock import FrozenClock, ScaledClock
from issdash.model.kiosk import KioskController
from issdash.model.map.raster import PAD_GLYPH, MapScene, compose, point_cell
from issdash.model.next_event import split_view
from issdash.model.visits.launch_card import CARD_UNCONFIRMED_FOR, LaunchCardView, launch_card
from issdash.model.visits.moments import FRESH_FOR, SHOW_FOR_S, MomentTracker
from issdash.model.visits.timeline import build_timelines
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.alert_banner import AlertBanner
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.launch_card import LaunchCard
from issdash.widgets.next_event import NextEventPanel
from scripts.fixtures.ms27_payloads import (
    BAIKONUR_31_LAT_DEG,
    BAIKONUR_31_LON_DEG,
    DOCKED_BEFORE_MS27,
    ll2_launch,
    ll2_launches,
    ms27_launch,
)
from tests.support.ms27_day import LAUNCH, at, ms27_state, raw

# -- the launch record ------------------------------------------------------------------


def test_the_launch_record_gives_rocket_pad_place_and_crew() -> None:
    (launch,) = parse_launches(raw(ll2_launches(ms27_launch())), at(5)).launches
    assert launch.rocket == "Soyuz 2.1a"
    assert launch.pad == "31/6, Baikonur Cosmodrome, Republic of Kazakhstan"
    assert (launch.pad_latitude_deg, launch.pad_longitude_deg) == (
        BAIKONUR_31_LAT_DEG,
        BAIKONUR_31_LON_DEG,
    )
    assert launch.crew is not None
    assert [(m.name, m.role, m.country_code, m.agency) for m in launch.crew] == [
        ("Sergey Ryzhikov", "Commander", "RU", "RFSA"),
        ("Alexey Zubritsky", "Flight Engineer", "RU", "RFSA"),
        ("Jonny Kim", "Flight Engineer", "US", "NASA"),
    ]


def test_fields_the_record_lacks_are_unknown_not_invented() -> None:
    bare = ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z")
    del bare["rocket"]
    (launch,) = parse_launches(raw(ll2_launches(bare)), at(5)).launches
    assert launch.rocket is None and launch.crew is None
    assert launch.pad_latitude_deg is None and launch.pad_longitude_deg is None


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (95.0, 63.5),  # off the globe
        (45.9, 181.0),
        ("nan", 63.5),
        ("inf", 63.5),
        (0, 0),  # a placeholder, not a pad
        ("45.9; DROP", 63.5),
        (True, 63.5),
        ({"x": 1}, 63.5),
        (45.9, None),  # half a place is no place
    ],
)
def test_implausible_pad_coordinates_are_unknown(latitude: Any, longitude: Any) -> None:
    record = ll2_launch(
        "Soyuz 2.1a | Soyuz MS-27",
        "2025-04-08T05:47:15Z",
        pad_latitude=latitude,
        pad_longitude=longitude,
    )
    (launch,) = parse_launches(raw(ll2_launches(record)), at(5)).launches
    assert launch.pad_latitude_deg is None and launch.pad_longitude_deg is None


def test_pad_coordinates_as_strings_are_read_as_ll2_2_2_sent_them() -> None:
    record = ll2_launch(
        "Soyuz 2.1a | Soyuz MS-27",
        "2025-04-08T05:47:15Z",
        pad_latitude="45.996034",
        pad_longitude="63.564003",
    )
    (launch,) = parse_launches(raw(ll2_launches(record)), at(5)).launches
    assert (launch.pad_latitude_deg, launch.pad_longitude_deg) == (45.996034, 63.564003)


def test_hostile_crew_entries_are_cleaned_bounded_or_skipped() -> None:
    record = ms27_launch()
    crew = record["rocket"]["spacecraft_stage"][0]["launch_crew"]
    crew[0]["astronaut"]["name"] = "\x1b[31mSergey\x1b[0m [b]Ryzhikov[/b]"
    crew[1]["astronaut"]["nationality"] = "Russian"  # LL2 2.2.0's shape: a word, no code
    crew[2]["astronaut"] = None
    crew.extend([crew[0]] * 40)
    (launch,) = parse_launches(raw(ll2_launches(record)), at(5)).launches
    assert launch.crew is not None and len(launch.crew) == 8
    first = launch.crew[0]
    assert "\x1b" not in first.name and "Ryzhikov" in first.name
    assert launch.crew[1].country_code is None  # unknown, not guessed from the word
    assert all(m.name for m in launch.crew)


# -- the card ---------------------------------------------------------------------------


def test_the_card_is_up_before_liftoff_and_gone_after() -> None:
    state = ms27_state(at(5, 44), launches=ll2_launches(ms27_launch()))
    card = launch_card(state, at(5, 44))
    assert card is not None
    assert (card.vehicle, card.rocket, card.seconds_to_launch) == ("Soyuz MS-27", "Soyuz 2.1a", 195)
    assert card.pad_place == (BAIKONUR_31_LAT_DEG, BAIKONUR_31_LON_DEG)
    assert launch_card(state, LAUNCH - timedelta(days=3)) is None  # too far ahead for a card
    # T-0 passed, the record still says "Go": the card stays, the launch not confirmed.
    late = launch_card(state, LAUNCH + timedelta(minutes=2))
    assert late is not None and late.unconfirmed
    assert launch_card(state, LAUNCH + CARD_UNCONFIRMED_FOR) is None  # not forever
    # The record says it lifted off: the card is gone.
    for status in ("In Flight", "Success"):
        flown = ms27_state(LAUNCH, launches=ll2_launches(ms27_launch(status)))
        assert launch_card(flown, LAUNCH + timedelta(minutes=2)) is None


async def test_the_dashboard_shows_the_card_and_marks_the_pad() -> None:
    runtime = Runtime.for_demo(load_settings(), load_demo_recording(), FrozenClock(at(5, 44)))
    app = IssDashApp(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        card = app.query_one(LaunchCard)
        for _ in range(100):
            if card.view is not None and app.query_one(GroundTrackMap).scene is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        assert app.has_class("-launch-card") and app.query_one("#launch-panel").display
        text = card.render().plain
        for part in ("Soyuz MS-27", "Soyuz 2.1a", "T- 3m 15s", "31/6", "Baikonur", "Jonny Kim"):
            assert part in text, part
        assert "🇷🇺" in text and "🇺🇸" in text
        scene = app.query_one(GroundTrackMap).scene
        assert scene is not None and scene.pad == (BAIKONUR_31_LAT_DEG, BAIKONUR_31_LON_DEG)
        frame = app.query_one(GroundTrackMap)._frame
        assert frame is not None
        x, y = point_cell(*scene.pad, *frame.size)
        assert frame.codes[y, x] == PAD_GLYPH


def test_the_pad_glyph_is_drawn_where_the_pad_is() -> None:
    frame = compose(MapScene(pad=(45.996, 63.564)), 120, 30)
    x, y = point_cell(45.996, 63.564, 120, 30)
    assert frame.codes[y, x] == PAD_GLYPH
    assert PAD_GLYPH not in compose(MapScene(), 120, 30).codes


# -- moments ----------------------------------------------------------------------------


# The demo's first Launch Library answer after T-0 (05:50) reports the launch a success.
LIFTOFF_HEARD = at(5, 50)


def timelines(now: Any) -> Any:
    """The MS-27 day's timelines at `now`, each feed answering at `now` (so a confirmation
    arrives the moment its source says it)."""
    status = "Success" if now >= LIFTOFF_HEARD else "Go"
    launches = ll2_launches(ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z", status))
    return build_timelines(ms27_state(now, launches=launches, received=now), now)


def test_liftoff_fires_once_when_it_happens_and_stays_a_few_real_seconds() -> None:
    tracker = MomentTracker()
    assert tracker.update(timelines(at(5, 47)), at(5, 47), wall_s=0.0) is None
    # T-0 passed, and nothing yet says the rocket left the pad: no liftoff on the schedule's
    # word, and that is said.
    due = tracker.update(timelines(LAUNCH), LAUNCH, wall_s=0.5)
    assert due is not None and not due.confirmed
    assert due.text() == "LAUNCH  Soyuz MS-27  expected 05:47Z, not confirmed"
    # The launch record's report takes its place at once, whatever is left of its time up.
    moment = tracker.update(timelines(LIFTOFF_HEARD), LIFTOFF_HEARD, wall_s=1.0)
    # The time is the one the launch record states, not when it was heard.
    assert moment is not None and moment.text() == "LIFTOFF  Soyuz MS-27  05:47:15Z"
    # Still up a few real seconds later, however far the replay clock ran meanwhile.
    later = LIFTOFF_HEARD + timedelta(minutes=2)
    assert tracker.update(timelines(later), later, wall_s=1.0 + SHOW_FOR_S - 0.5) == moment
    # Then gone, and never again.
    assert tracker.update(timelines(later), later, wall_s=1.0 + SHOW_FOR_S + 0.1) is None
    assert tracker.update(timelines(later), later, wall_s=100.0) is None


def test_docking_and_hatch_opening_fire_in_turn() -> None:
    tracker = MomentTracker()
    tracker.update(timelines(at(8, 50)), at(8, 50), wall_s=0.0)  # launch long past: quiet
    docked = tracker.update(timelines(at(8, 57)), at(8, 57), wall_s=1.0)
    assert docked is not None and docked.text() == "DOCKED  Soyuz MS-27  08:57:00Z"
    due = tracker.update(timelines(at(11, 29)), at(11, 29), wall_s=20.0)
    assert due is not None
    assert due.text() == "HATCH OPENING  Soyuz MS-27  expected 11:27Z, not confirmed"
    # The hatch time is an estimate and stays one; the crew list confirms it at 11:30, and
    # that is said apart.
    hatch = tracker.update(timelines(at(11, 30)), at(11, 30), wall_s=21.0)
    assert hatch is not None
    assert hatch.text() == "HATCHES OPEN  Soyuz MS-27  estimated 11:27Z, confirmed by 11:30Z"


def test_an_unlisted_docking_is_never_announced_docked() -> None:
    """The docked list never lists MS-27: its scheduled time passing says it is expected and
    not confirmed, once, and never DOCKED."""
    tracker = MomentTracker()
    shown = []
    for minute in range(50, 60 * 3, 5):
        now = at(8) + timedelta(minutes=minute)
        state = ms27_state(now, docked=DOCKED_BEFORE_MS27, crew=False, received=now)
        moment = tracker.update(build_timelines(state, now), now, wall_s=minute * 10.0)
        if moment is not None and moment not in shown:
            shown.append(moment)
    assert [m.text() for m in shown] == ["DOCKING  Soyuz MS-27  expected 08:57Z, not confirmed"]


def test_moments_long_past_at_start_are_not_announced() -> None:
    tracker = MomentTracker()
    assert tracker.update(timelines(at(12)), at(12), wall_s=0.0) is None
    assert tracker.update(timelines(at(12, 1)), at(12, 1), wall_s=10.0) is None


def test_at_high_speed_moments_that_come_together_are_each_shown() -> None:
    """At 1000x the docking and the next minutes pass within one tick: the docking is still
    shown for SHOW_FOR_S real seconds, and a later moment waits its turn."""
    tracker = MomentTracker()
    tracker.update(timelines(at(8, 50)), at(8, 50), wall_s=0.0)
    first = tracker.update(timelines(at(8, 58)), at(8, 58), wall_s=0.25)
    assert first is not None and first.kind == "docking"
    hatch_seen = at(11, 30)
    assert tracker.update(timelines(hatch_seen), hatch_seen, wall_s=0.5) == first  # still up
    second = tracker.update(timelines(hatch_seen), hatch_seen, wall_s=0.25 + SHOW_FOR_S + 0.01)
    assert second is not None and second.kind == "hatch"


def test_a_restart_lets_the_moment_fire_again() -> None:
    tracker = MomentTracker()
    tracker.update(timelines(at(5, 44)), at(5, 44), wall_s=0.0)
    assert tracker.update(timelines(LIFTOFF_HEARD), LIFTOFF_HEARD, wall_s=1.0) is not None
    assert tracker.update(timelines(at(5, 44)), at(5, 44), wall_s=2.0) is None  # r: back
    again = tracker.update(timelines(LIFTOFF_HEARD), LIFTOFF_HEARD, wall_s=30.0)
    assert again is not None and again.kind == "launch"


@pytest.mark.slow
@given(minutes=st.integers(min_value=0, max_value=24 * 60), step=st.integers(1, 600))
def test_each_moment_fires_at_most_once_over_any_run(minutes: int, step: int) -> None:
    tracker = MomentTracker()
    start = at(5) + timedelta(minutes=minutes)
    fired: list[tuple[str, str, bool]] = []
    now, wall = start, 0.0
    for _ in range(40):
        moment = tracker.update(timelines(now), now, wall)
        if moment is not None and (moment.vehicle, moment.kind, moment.confirmed) not in fired:
            fired.append((moment.vehicle, moment.kind, moment.confirmed))
            assert now - moment.time <= FRESH_FOR  # never old news
        now += timedelta(seconds=step * 10)
        wall += SHOW_FOR_S + 1
    assert len(fired) == len(set(fired))


async def test_the_liftoff_banner_on_the_dashboard() -> None:
    """Past T-0 the demo's Launch Library still says "Go" until its 05:50 answer: the panel
    and the banner say the launch is expected and not confirmed, and no LIFTOFF is announced
    until then."""
    clock = ScaledClock(LAUNCH + timedelta(seconds=1), 1)
    app = IssDashApp(Runtime.for_demo(load_settings(), load_demo_recording(), clock))
    app.moments = MomentTracker(show_for_s=3600.0)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.query_one(AlertBanner)
        panel = app.query_one(NextEventPanel)
        for _ in range(100):
            if app.runtime.store.state.launches is not None and panel.view is not None:
                break
            await pilot.pause(0.05)
        app._tick()
        await pilot.pause()
        assert banner.has_class("-moment") and banner.has_class("-unconfirmed")
        assert "LAUNCH  Soyuz MS-27  expected 05:47Z, not confirmed" in banner.render().plain
        assert "LIFTOFF" not in banner.render().plain
        assert panel.view is not None and panel.view.next is not None
        assert panel.view.next[1].kind == "launch"
        assert panel.view.next[1].unconfirmed(clock.now())
        assert "no liftoff report yet" in str(app.query_one("#next-event-when").render())
        app.replay.jump(LIFTOFF_HEARD + timedelta(seconds=1))
        await app._replay_from_here()
        for _ in range(100):
            if "LIFTOFF" in banner.render().plain:
                break
            await pilot.pause(0.05)
        assert banner.has_class("-shown") and banner.has_class("-moment")
        assert not banner.has_class("-unconfirmed")
        assert "LIFTOFF  Soyuz MS-27  05:47:15Z" in banner.render().plain


def test_docking_banner_snapshot(snap_compare: Callable[..., bool]) -> None:
    """Docking: the banner across the top and the timeline's docking step ticked, once the
    docked list lists the vehicle (the demo's list gains MS-27 at 09:05)."""
    clock = FrozenClock(at(9, 5, 5))
    app = IssDashApp(Runtime.for_demo(load_settings(), load_demo_recording(), clock))
    app.moments = MomentTracker(show_for_s=3600.0)  # up however long the shot takes

    async def run_before(pilot: Pilot[None]) -> None:
        for _ in range(200):
            state = app.runtime.store.state
            if state.dockings is not None and state.launches is not None and state.docked:
                break
            await pilot.pause(0.02)
        app._tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_a_jump_takes_the_banner_down() -> None:
    """`n` hours ahead: the liftoff banner does not hang over the docking jumped to."""
    clock = ScaledClock(LIFTOFF_HEARD - timedelta(seconds=2), 1)
    app = IssDashApp(Runtime.for_demo(load_settings(), load_demo_recording(), clock))
    app.moments = MomentTracker(show_for_s=3600.0)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.query_one(AlertBanner)
        for _ in range(100):
            if "LIFTOFF" in banner.render().plain:
                break
            await pilot.pause(0.05)
        assert "LIFTOFF" in banner.render().plain
        await pilot.press("n")  # to just before orbit insertion
        await pilot.pause(0.3)
        assert not banner.has_class("-moment")


async def test_the_kiosk_shows_the_moment_too_and_ctrl_c_stays_locked(tmp_path: Path) -> None:
    settings = load_settings(kiosk={"heartbeat_file": tmp_path / "hb"})
    clock = FrozenClock(at(9, 5, 5))
    runtime = Runtime.for_demo(settings, load_demo_recording(), clock)
    app = IssDashApp(runtime, kiosk=KioskController(settings.kiosk))
    app.moments = MomentTracker(show_for_s=3600.0)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.query_one(AlertBanner)
        for _ in range(100):
            if banner.has_class("-moment"):
                break
            await pilot.pause(0.05)
        assert app.has_class("-kiosk")
        assert "DOCKED  Soyuz MS-27  08:57:00Z" in banner.render().plain
        await pilot.press("ctrl+c")
        await pilot.pause(0.1)
        assert app.is_running


async def test_while_the_hatch_moment_is_up_its_timeline_shows_every_step_done() -> None:
    """At hatch opening the next event is MS-26 leaving: without the moment's focus the panel
    jumped to that vehicle and the MS-27 step just done was never seen ticked."""
    clock = FrozenClock(at(11, 30, 5))
    app = IssDashApp(Runtime.for_demo(load_settings(), load_demo_recording(), clock))
    app.moments = MomentTracker(show_for_s=3600.0)
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(NextEventPanel)
        for _ in range(100):
            if app.query_one(AlertBanner).has_class("-moment"):
                break
            await pilot.pause(0.05)
        app._tick()
        assert panel.view is not None and panel.view.next is not None
        assert panel.view.next[0].vehicle == "Soyuz MS-26"  # the countdown moves on
        _, part, _ = split_view(panel.view)
        assert part.timeline is not None and part.timeline.vehicle == "Soyuz MS-27"
        assert [p.kind for p in part.timeline.phases][-1] == "hatch"
        assert all(p.done for p in part.timeline.phases)
        # One time for the hatch opening, on the timeline as in the banner: the estimate,
        # ticked and still marked as one; when the crew list confirmed it is said apart.
        await pilot.pause()
        timeline = str(app.query_one("#next-event-timeline").render())
        assert "✓ Hatch opening    11:27:00Z ~est" in timeline
        banner = app.query_one(AlertBanner).render().plain
        assert "HATCHES OPEN  Soyuz MS-27  estimated 11:27Z, confirmed by 11:30Z" in banner


async def test_the_card_says_unknown_for_what_the_record_lacks() -> None:
    class CardApp(App[None]):
        def compose(self) -> ComposeResult:
            yield LaunchCard()

    view = LaunchCardView(
        now=at(5, 44),
        vehicle="Soyuz MS-27",
        net=LAUNCH,
        rocket=None,
        pad=None,
        pad_place=None,
        crew=None,
        status=None,
    )
    app = CardApp()
    async with app.run_test(size=(80, 10)) as pilot:
        card = app.query_one(LaunchCard)
        card.view = view
        await pilot.pause()
        text = card.render().plain
        assert "rocket unknown" in text and "position unknown" in text
        assert "name unknown" in text and "Crew  unknown" in text
        card.view = replace(view, crew=())
        await pilot.pause()
        assert "none listed" in card.render().plain
        card.view = replace(view, now=LAUNCH + timedelta(seconds=30))
        await pilot.pause()
        text = card.render().plain
        assert "expected 05:47:15Z, not confirmed" in text and "T-" not in text


async def test_the_card_s_crew_lines_follow_the_crew_flags_and_width() -> None:
    # The crew's lines are kept between the card's redraws (every second, for the
    # countdown): each of their inputs changing must still change them.
    class CardApp(App[None]):
        def compose(self) -> ComposeResult:
            yield LaunchCard()

    two = (
        LaunchCrewMember(name="Sergey Ryzhikov", role="Commander", country_code="RU"),
        LaunchCrewMember(name="Jonny Kim", role="Flight Engineer", country_code="US"),
    )
    view = LaunchCardView(
        now=at(5, 44),
        vehicle="Soyuz MS-27",
        net=LAUNCH,
        rocket="Soyuz 2.1a",
        pad="31/6",
        pad_place=None,
        crew=two,
        status="Go",
    )
    app = CardApp()
    async with app.run_test(size=(100, 10)) as pilot:
        card = app.query_one(LaunchCard)
        card.view = view
        await pilot.pause()
        assert "🇷🇺 Sergey Ryzhikov CDR  🇺🇸 Jonny Kim FE" in card.render().plain
        card.view = replace(view, now=at(5, 45))  # the countdown moves; the crew stays
        await pilot.pause()
        assert "Jonny Kim FE" in card.render().plain
        card.view = replace(view, now=at(5, 45), crew=two[1:])
        await pilot.pause()
        text = card.render().plain
        assert "Jonny Kim" in text and "Ryzhikov" not in text
        card.view = replace(view, now=at(5, 46))
        await pilot.pause()
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        card.view = replace(view, now=at(5, 46, 1))
        await pilot.pause()
        assert "★Ryzhikov" in card.render().plain  # surnames, the commander starred
        card.flags = "letters"
        card.view = replace(view, now=at(5, 46, 2))
        await pilot.pause()
        text = card.render().plain
        assert "RU ★Ryzhikov" in text and "🇷🇺" not in text
