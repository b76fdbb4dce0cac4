"""The OEM adapter (NASA's ISS trajectory, CCSDS OEM 2.0) on trajectories the tests write
(scripts/fixtures/oem.py): both forms, both epoch spellings, the header comments, the event
summary, and every refusal in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from issdash.feeds.adapters.oem import (
    MAX_STATES,
    Oem,
    parse_events,
    parse_oem,
    parse_oem_epoch,
)
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.oem import (
    START,
    Event,
    build_trajectory,
    header_comments,
    write_kvn,
    write_xml,
)

NOW = START + timedelta(hours=8)
TRAJECTORY = build_trajectory()
KVN = write_kvn(TRAJECTORY)
XML = write_xml(TRAJECTORY)


def parse(body: str, now: datetime | None = NOW) -> Oem:
    return parse_oem(RawResponse("file:///ISS.OEM_J2K_EPH", 200, "", body, NOW), now)


def refused(body: str) -> str:
    with pytest.raises(FeedError) as info:
        parse(body)
    return info.value.reason


@pytest.mark.parametrize("body", [KVN, XML, write_kvn(TRAJECTORY, day_of_year=True)])
def test_both_forms_and_both_epoch_spellings_read_the_same(body: str) -> None:
    oem = parse(body)
    assert oem.header.object_name == "ISS"
    assert oem.header.object_id == "1998-067-A"
    assert (oem.header.center_name, oem.header.ref_frame, oem.header.time_system) == (
        "EARTH",
        "EME2000",
        "UTC",
    )
    assert oem.header.start == START
    assert oem.header.stop == TRAJECTORY.epochs[-1]
    assert oem.header.created == START + timedelta(hours=6, minutes=53)
    assert oem.header.originator == "JSC"
    assert [s.epoch for s in oem.states] == list(TRAJECTORY.epochs)
    first = oem.states[0]
    assert (first.x_km, first.y_km, first.z_km) == pytest.approx((-4945.2, -3625.97, -2944.74))
    assert (first.vx_km_s, first.vy_km_s, first.vz_km_s) == pytest.approx(
        (1.19204, -5.67286, 4.99593)
    )
    assert oem.mass_kg == 445386.0
    assert oem.drag_area_m2 == 1439.7
    assert oem.first_node is not None and oem.last_node is not None
    assert oem.first_node.orbit == 568 and oem.last_node.orbit == 575
    assert oem.first_node.epoch == START + timedelta(minutes=8, seconds=41.5)
    assert oem.first_node.lan_deg == -84.71503
    assert oem.segment_starts == ()


def test_the_event_summary_with_its_burn_and_the_two_second_block() -> None:
    oem = parse(KVN)
    launch, reboost = oem.events
    assert launch.name == "80P Launch"
    assert launch.ignition == START + timedelta(hours=1, minutes=25, seconds=40)
    assert launch.delta_v_m_s == 0.0
    assert reboost.name == "GMT042 Reboost"
    assert reboost.ignition == TRAJECTORY.burn
    assert (reboost.delta_v_m_s, reboost.apogee_km, reboost.perigee_km) == (0.4, 423.8, 409.1)
    steps = {
        (b.epoch - a.epoch).total_seconds()
        for a, b in zip(oem.states, oem.states[1:], strict=False)
    }
    assert {2.0, 60.0, 240.0} <= steps  # the block NASA writes through a burn is read as is


def test_event_years_come_from_the_start_and_cross_new_year() -> None:
    start = datetime(2024, 12, 24, 12, tzinfo=UTC)
    rows = header_comments(
        start,
        start + timedelta(days=15),
        [
            Event("Late December", datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)),
            Event("New Year Reboost", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), 1.2),
        ],
    )
    december, january = parse_events(rows, start)
    assert december.ignition == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)  # day 366
    assert january.ignition == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert january.delta_v_m_s == 1.2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-27T12:00:00.000", datetime(2024, 11, 27, 12, tzinfo=UTC)),
        ("2022-042T12:00:00.000Z", datetime(2022, 2, 11, 12, tzinfo=UTC)),
        ("2022-057T01:40:56.869Z", datetime(2022, 2, 26, 1, 40, 56, 869000, tzinfo=UTC)),
        ("2024-366T00:00:00Z", datetime(2024, 12, 31, tzinfo=UTC)),
        ("2022-02-26T01:37:00.123456789", datetime(2022, 2, 26, 1, 37, 0, 123456, tzinfo=UTC)),
    ],
)
def test_epochs_in_both_spellings(text: str, expected: datetime) -> None:
    assert parse_oem_epoch(text) == expected


@pytest.mark.parametrize(
    "text", ["2023-366T00:00:00Z", "2022-000T00:00:00Z", "2022-13-01T00:00:00", "yesterday", ""]
)
def test_bad_epochs_are_refused_in_words(text: str) -> None:
    with pytest.raises(FeedError, match="bad epoch"):
        parse_oem_epoch(text)


def test_another_object_is_refused() -> None:
    assert "OBJECT_NAME" in refused(write_kvn(TRAJECTORY, object_name="HST"))
    assert "OBJECT_ID" in refused(write_kvn(TRAJECTORY, object_id="1990-037-B"))
    assert "OBJECT_NAME" in refused(write_xml(TRAJECTORY, object_name="TIANHE"))


def test_another_frame_is_refused() -> None:
    assert "REF_FRAME" in refused(write_kvn(TRAJECTORY, ref_frame="ITRF"))


def test_implausible_states_are_refused() -> None:
    first_state = next(line for line in KVN.splitlines() if line.startswith("2022-02-11T12:00"))
    fields = first_state.split()
    metres = " ".join([fields[0], *(str(float(v) * 1000) for v in fields[1:4]), *fields[4:]])
    assert "from the centre" in refused(KVN.replace(first_state, metres))
    slow = " ".join([*fields[:4], *(str(float(v) / 2) for v in fields[4:])])
    assert "km/s" in refused(KVN.replace(first_state, slow))
    assert "not finite" in refused(
        KVN.replace(first_state, " ".join([fields[0], "nan", *fields[2:]]))
    )
    assert "not a number" in refused(
        KVN.replace(first_state, " ".join([fields[0], "x", *fields[2:]]))
    )


def test_epochs_must_increase() -> None:
    lines = KVN.splitlines()
    states = [i for i, line in enumerate(lines) if line.startswith("2022-02-11T")]
    lines[states[5]], lines[states[6]] = lines[states[6]], lines[states[5]]
    assert "not after the one before" in refused("\n".join(lines))


def test_a_span_too_short_or_too_long_is_refused() -> None:
    short = build_trajectory(hours=0.5, burn=None)
    assert "span" in refused(write_kvn(short))
    long = build_trajectory(hours=24 * 22, step_s=3600.0, burn=None)
    assert "span" in refused(write_kvn(long))


def test_a_state_outside_the_declared_span_is_refused() -> None:
    body = KVN.replace(
        "START_TIME = 2022-02-11T12:00:00.000", "START_TIME = 2022-02-11T12:30:00.000"
    )
    assert "outside its span" in refused(body)


def test_created_in_the_future_is_refused() -> None:
    body = write_kvn(TRAJECTORY, created=NOW + timedelta(days=3))
    assert "future" in refused(body)
    assert parse(body, now=None).header.created == NOW + timedelta(days=3)  # a file: no clock


def test_xml_with_a_doctype_or_entities_is_refused_before_parsing() -> None:
    bomb = '<!DOCTYPE ndm [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
    assert "DOCTYPE" in refused(write_xml(TRAJECTORY, prolog=bomb))
    external = '<!DOCTYPE ndm [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    assert "DOCTYPE" in refused(write_xml(TRAJECTORY, prolog=external))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "empty"),
        ("<html><body>Not Found</body></html>", "an HTML page"),
        ("<ndm><oem><body>", "malformed XML"),
        ('{"states": []}', "not an OEM"),
        ("CCSDS_OEM_VERS = 2.0\nMETA_START\nOBJECT_NAME = ISS\n", "META_STOP"),
        ("CCSDS_OEM_VERS = 2.0\n", "no segment"),
    ],
)
def test_other_bodies_are_refused_in_words(body: str, words: str) -> None:
    assert words in refused(body)


def test_the_number_of_states_is_bounded() -> None:
    lines = KVN.splitlines()
    state = next(line for line in lines if line.startswith("2022-02-11T12:04"))
    body = KVN + "\n".join([state] * MAX_STATES)
    assert f"more than {MAX_STATES} states" in refused(body)


def test_a_state_line_with_the_wrong_number_of_fields_is_refused() -> None:
    state = next(line for line in KVN.splitlines() if line.startswith("2022-02-11T12:04"))
    assert "fields" in refused(KVN.replace(state, state + " 1.0"))


def test_event_rows_with_an_orbit_number_or_without_heights() -> None:
    start = datetime(2022, 2, 11, 12, tzinfo=UTC)
    rows = [
        "=" * 77,
        " GMT057 Reboost        057:01:37:00.000   812       0.4     423.8     409.1",
        " Soyuz Relocation      058:01:37:00.000             0.0",
        "                                                   (1.3)   (228.8)   (220.9)",
        "=" * 77,
        " After The Table       059:01:00:00.000             9.9     1.0     1.0",
    ]
    reboost, relocation = parse_events(rows, start)
    assert (reboost.name, reboost.delta_v_m_s, reboost.apogee_km) == ("GMT057 Reboost", 0.4, 423.8)
    assert reboost.ignition == datetime(2022, 2, 26, 1, 37, tzinfo=UTC)
    assert (relocation.apogee_km, relocation.perigee_km) == (None, None)


@pytest.mark.parametrize(
    "page", ["<!DOCTYPE html><html><body>NoSuchKey</body></html>", "<html>\n<p>moved</p>"]
)
def test_an_html_page_is_named_as_one(page: str) -> None:
    raw = RawResponse("https://nasa-public-data.s3.amazonaws.com/x", 200, "", page, None)
    with pytest.raises(FeedError, match="got an HTML page, not a trajectory"):
        parse_oem(raw, None)


def test_a_trajectory_from_before_the_station_existed_is_refused() -> None:
    old = build_trajectory(datetime(1990, 1, 1, tzinfo=UTC), hours=3.0, burn=None)
    with pytest.raises(FeedError, match="starts 1990-01-01, before the station was launched"):
        parse(write_kvn(old, []), None)
