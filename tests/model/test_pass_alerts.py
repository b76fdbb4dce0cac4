"""Pass alerts (issue 17): when they fall due, once per pass, missed when jumped over, and the
words of the kiosk banner. Driven by times the tests choose (the injected clock's role)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from issdash.model.passes.alerts import AlertScheduler, alert_message, banner_alert, pass_alerts
from issdash.model.passes.finder import Pass

RISE = datetime(2025, 4, 8, 9, 25, 26, tzinfo=UTC)
LEAD = timedelta(minutes=10)


def visible_pass(rise: datetime = RISE, **changes: object) -> Pass:
    fields: dict[str, object] = {
        "rise": rise,
        "culminate": rise + timedelta(minutes=3, seconds=20),
        "set": rise + timedelta(minutes=6, seconds=45),
        "max_elevation_deg": 71.4,
        "visible": True,
        "rise_azimuth_deg": 330.0,
        "culminate_azimuth_deg": 45.0,
        "set_azimuth_deg": 135.0,
        "magnitude": -4.4,
        "shadow_entry": rise + timedelta(minutes=3, seconds=35),
        "visible_from": rise,
        "visible_until": rise + timedelta(minutes=3, seconds=35),
    }
    fields.update(changes)
    return Pass(**fields)  # type: ignore[arg-type]


def dark_pass(rise: datetime) -> Pass:
    return Pass(rise, rise + timedelta(minutes=3), rise + timedelta(minutes=6), 40.0, False)


def run(
    scheduler: AlertScheduler,
    passes: list[Pass],
    start: datetime,
    end: datetime,
    step: timedelta,
    max_late: timedelta = timedelta(minutes=1),
) -> list[tuple[str, str, datetime]]:
    """Tick from start to end; (kind, status, when) of every outcome."""
    seen = []
    t = start
    while t <= end:
        for outcome in scheduler.advance(t, passes, max_late):
            seen.append((outcome.alert.kind, outcome.status, t))
        t += step
    return seen


def test_message_says_when_where_how_high_how_bright() -> None:
    p = visible_pass()
    assert (
        alert_message(p, "soon", LEAD) == "ISS visible in 10 min, look NNW, up to 71°, very bright"
    )
    assert alert_message(p, "now", LEAD).startswith("ISS visible now, look NNW")
    # Coming out of shadow mid-pass: it first shows on its way from the highest point.
    late = visible_pass(visible_from=RISE + timedelta(minutes=3))
    assert "look NE to SE" in alert_message(late, "soon", LEAD)


def test_each_alert_fires_once_at_its_time_not_every_tick() -> None:
    scheduler = AlertScheduler(LEAD)
    seen = run(
        scheduler,
        [visible_pass()],
        RISE - timedelta(minutes=30),
        RISE + timedelta(minutes=30),
        timedelta(seconds=1),
    )
    assert [(k, s) for k, s, _ in seen] == [("soon", "fired"), ("now", "fired")]
    assert timedelta(0) <= seen[0][2] - (RISE - LEAD) < timedelta(seconds=1)
    assert timedelta(0) <= seen[1][2] - RISE < timedelta(seconds=1)


def test_not_visible_passes_never_alert() -> None:
    scheduler = AlertScheduler(LEAD)
    passes = [dark_pass(RISE)]
    assert pass_alerts(passes[0], LEAD) == ()
    assert (
        run(
            scheduler,
            passes,
            RISE - timedelta(hours=1),
            RISE + timedelta(hours=1),
            timedelta(seconds=30),
        )
        == []
    )


def test_a_replay_at_1000x_still_fires_with_a_tick_of_minutes() -> None:
    # At 1000x a tick (0.25 s) is 250 s of mission time: the app's max_late covers it.
    scheduler = AlertScheduler(LEAD)
    step = timedelta(seconds=250)
    seen = run(
        scheduler,
        [visible_pass()],
        RISE - timedelta(hours=1),
        RISE + timedelta(hours=1),
        step,
        max_late=3 * step,
    )
    assert [(k, s) for k, s, _ in seen] == [("soon", "fired"), ("now", "fired")]


def test_an_alert_jumped_over_is_missed_not_fired_late() -> None:
    scheduler = AlertScheduler(LEAD)
    p = visible_pass()
    assert scheduler.advance(RISE - timedelta(hours=1), [p]) == []
    # The replay's `n` jumps past the lead time and the rise.
    outcomes = scheduler.jumped(RISE + timedelta(minutes=2), [p])
    assert [(o.alert.kind, o.status) for o in outcomes] == [("soon", "missed"), ("now", "missed")]
    assert scheduler.advance(RISE + timedelta(minutes=3), [p]) == []  # and never again
    # A laptop that slept through it (no jump call, a big step): missed too.
    sleeper = AlertScheduler(LEAD)
    sleeper.advance(RISE - timedelta(hours=2), [p])
    outcomes = sleeper.advance(RISE + timedelta(minutes=2), [p])
    assert [(o.alert.kind, o.status) for o in outcomes] == [("soon", "missed"), ("now", "missed")]


def test_restarting_the_replay_does_not_ring_again_for_the_same_pass() -> None:
    scheduler = AlertScheduler(LEAD)
    p = visible_pass()
    first = run(
        scheduler,
        [p],
        RISE - timedelta(minutes=15),
        RISE + timedelta(minutes=5),
        timedelta(seconds=10),
    )
    assert len(first) == 2
    # The clock goes back (restart, or --loop); the same pass, found again from newer
    # elements a few seconds off, comes round again: no second alert.
    assert scheduler.jumped(RISE - timedelta(hours=1), [p]) == []
    again = visible_pass(rise=RISE + timedelta(seconds=4))
    second = run(
        scheduler,
        [again],
        RISE - timedelta(minutes=15),
        RISE + timedelta(minutes=5),
        timedelta(seconds=10),
    )
    assert second == []
    # A different pass (an orbit later) still alerts.
    later = visible_pass(rise=RISE + timedelta(minutes=93))
    third = run(
        scheduler,
        [later],
        RISE + timedelta(minutes=70),
        RISE + timedelta(minutes=100),
        timedelta(seconds=10),
    )
    assert [k for k, _, _ in third] == ["soon", "now"]


def test_nothing_rings_for_what_was_due_before_the_first_look() -> None:
    scheduler = AlertScheduler(LEAD)
    p = visible_pass()
    # Started five minutes before the pass: the ten-minute alert is not rung late.
    seen = run(
        scheduler,
        [p],
        RISE - timedelta(minutes=5),
        RISE + timedelta(minutes=1),
        timedelta(seconds=1),
    )
    assert [(k, s) for k, s, _ in seen] == [("now", "fired")]


def test_while_the_search_runs_the_window_stays_open() -> None:
    scheduler = AlertScheduler(LEAD)
    p = visible_pass()
    assert scheduler.advance(RISE - LEAD - timedelta(seconds=30), [p]) == []
    # Passes searched again (new elements): unknown for a few ticks across the alert time.
    assert scheduler.advance(RISE - LEAD - timedelta(seconds=10), None) == []
    assert scheduler.advance(RISE - LEAD + timedelta(seconds=10), None) == []
    outcomes = scheduler.advance(RISE - LEAD + timedelta(seconds=20), [p])
    assert [(o.alert.kind, o.status) for o in outcomes] == [("soon", "fired")]


def test_banner_from_the_lead_time_until_the_pass_fades() -> None:
    p = visible_pass()
    passes = [dark_pass(RISE - timedelta(hours=2)), p]
    assert banner_alert(passes, RISE - LEAD - timedelta(seconds=1), LEAD) is None
    soon = banner_alert(passes, RISE - timedelta(minutes=4), LEAD)
    assert soon is not None and soon.kind == "soon"
    assert soon.message == "ISS visible in 4 min, look NNW, up to 71°, very bright"
    now = banner_alert(passes, RISE + timedelta(minutes=1), LEAD)
    assert now is not None and now.message.startswith("ISS visible now")
    assert banner_alert(passes, RISE + timedelta(minutes=4), LEAD) is None  # faded
    assert banner_alert(None, RISE, LEAD) is None


def test_a_lead_under_a_minute_rings_once_not_twice_with_in_0_min() -> None:
    """`alerts.lead_min = 0` (allowed) rang twice at the same moment, bell and hook each
    time, the first saying "ISS visible in 0 min"."""
    for lead in (timedelta(0), timedelta(seconds=20)):
        scheduler = AlertScheduler(lead)
        seen = run(
            scheduler,
            [visible_pass()],
            RISE - timedelta(minutes=5),
            RISE + timedelta(minutes=5),
            timedelta(seconds=1),
        )
        assert [(k, s) for k, s, _ in seen] == [("now", "fired")]
        assert all("in 0 min" not in a.message for a in pass_alerts(visible_pass(), lead))
    # A minute or more still says "in N min" first.
    assert [a.kind for a in pass_alerts(visible_pass(), timedelta(minutes=1))] == ["soon", "now"]
