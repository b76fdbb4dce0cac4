"""The planner's rows and messages (issue 17), from passes the tests build by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from issdash.feeds.values import Observer
from issdash.model.passes.finder import Pass
from issdash.model.passes.planner import pass_details, planner_view, visibility_text

BRISBANE = ZoneInfo("Australia/Brisbane")
RISE = datetime(2025, 4, 8, 9, 25, 26, tzinfo=UTC)
CAIRNS = Observer(
    latitude_deg=-16.92,
    longitude_deg=145.77,
    place="Cairns, Queensland, AU",
    timezone="Australia/Brisbane",
    timezone_source="place",
)


def fading(rise: datetime = RISE) -> Pass:
    return Pass(
        rise=rise,
        culminate=rise + timedelta(minutes=3, seconds=20),
        set=rise + timedelta(minutes=6, seconds=45),
        max_elevation_deg=71.4,
        visible=True,
        rise_azimuth_deg=330.0,
        culminate_azimuth_deg=45.0,
        set_azimuth_deg=135.0,
        magnitude=-4.4,
        shadow_entry=rise + timedelta(minutes=3, seconds=35),
        visible_from=rise,
        visible_until=rise + timedelta(minutes=3, seconds=35),
    )


def unseen(rise: datetime) -> Pass:
    return Pass(
        rise, rise + timedelta(minutes=3), rise + timedelta(minutes=6), 40.0, False, 200, 270, 340
    )


def test_a_row_in_local_time_with_utc_beside_it() -> None:
    v = planner_view([fading()], CAIRNS, RISE - timedelta(hours=1), BRISBANE, min_elevation_deg=10)
    (row,) = v.rows
    assert (row.date, row.start, row.start_utc) == ("Tue 08 Apr", "19:25 AEST", "09:25Z")
    assert row.duration == "6m 45s" and row.max_elevation == "71°"
    assert row.directions == "NNW -> NE -> SE" and row.magnitude == "-4.4"
    assert row.visibility == "fades 19:29"  # the station enters Earth's shadow mid-sky
    assert "Cairns, Queensland, AU" in v.heading
    assert "Australia/Brisbane (zone of the place)" in v.heading
    assert v.message is None


def test_utc_is_never_said_twice() -> None:
    v = planner_view([fading()], CAIRNS, RISE - timedelta(hours=1), UTC, min_elevation_deg=10)
    assert v.rows[0].start == "09:25 UTC" and v.rows[0].start_utc == ""


def test_visibility_words() -> None:
    assert visibility_text(unseen(RISE), BRISBANE) == "no"
    whole = Pass(RISE, RISE, RISE + timedelta(minutes=6), 50, True, visible_from=RISE,
                 visible_until=RISE + timedelta(minutes=6))  # fmt: skip
    assert visibility_text(whole, BRISBANE) == "visible"
    emerging = Pass(RISE, RISE, RISE + timedelta(minutes=6), 50, True,
                    visible_from=RISE + timedelta(minutes=2), visible_until=RISE + timedelta(minutes=6))  # fmt: skip  # noqa: E501
    assert visibility_text(emerging, BRISBANE) == "from 19:27"


def test_visible_only_filter_and_what_it_hides() -> None:
    passes = [unseen(RISE - timedelta(minutes=95)), fading(), unseen(RISE + timedelta(hours=12))]
    everything = planner_view(
        passes, CAIRNS, RISE - timedelta(hours=3), BRISBANE, min_elevation_deg=10
    )
    assert len(everything.rows) == 3 and everything.hidden == 0
    visible = planner_view(
        passes, CAIRNS, RISE - timedelta(hours=3), BRISBANE, min_elevation_deg=10,
        visible_only=True,
    )  # fmt: skip
    assert [r.visibility for r in visible.rows] == ["fades 19:29"] and visible.hidden == 2
    none_seen = planner_view(
        [passes[0]], CAIRNS, RISE - timedelta(hours=3), BRISBANE, min_elevation_deg=10,
        visible_only=True,
    )  # fmt: skip
    assert none_seen.rows == () and none_seen.message is not None
    assert "No visible passes" in none_seen.message


def test_passes_that_ended_are_dropped_and_one_under_way_is_marked() -> None:
    passes = [fading(RISE - timedelta(minutes=95)), fading()]
    v = planner_view(passes, CAIRNS, RISE + timedelta(minutes=1), BRISBANE, min_elevation_deg=10)
    assert len(v.rows) == 1 and v.rows[0].under_way


def test_honest_when_there_is_nothing_to_list() -> None:
    nobody = planner_view([fading()], None, RISE, BRISBANE, min_elevation_deg=10)
    assert nobody.rows == () and nobody.message is not None
    assert "--observer LAT,LON" in nobody.message and "--place" in nobody.message
    withheld = planner_view(
        [fading()], CAIRNS, RISE, BRISBANE, min_elevation_deg=10,
        withheld="elements too old (19d 04h old)",
    )  # fmt: skip
    assert withheld.rows == () and withheld.message is not None
    assert withheld.message.startswith("Passes withheld: elements too old (19d 04h old)")
    searching = planner_view(None, CAIRNS, RISE, BRISBANE, min_elevation_deg=10)
    assert searching.rows == () and searching.message == "Searching 10 days of passes…"
    empty = planner_view([], CAIRNS, RISE, BRISBANE, min_elevation_deg=10)
    assert empty.message == "No passes above 10° in the next 10 days."
    rough = planner_view([fading()], CAIRNS, RISE, BRISBANE, min_elevation_deg=10, approximate=True)
    assert rough.warning is not None and "approximate" in rough.warning


def test_details_of_the_selected_pass() -> None:
    details = dict(pass_details(fading(), BRISBANE))
    assert details["Rises"] == "19:25 AEST (09:25Z)  NNW"
    assert details["Highest"] == "19:28 AEST (09:28Z)  71° NE"
    assert details["Shadow"] == "enters 19:29 AEST (09:29Z): fades out"
    assert details["Visible"] == "19:25-19:29 (3m 35s)"
    assert details["Brightness"] == "-4.4, very bright"
    assert dict(pass_details(unseen(RISE), BRISBANE))["Brightness"] == "not visible"
