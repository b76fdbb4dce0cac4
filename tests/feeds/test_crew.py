"""Crew adapters, name matching, the roster and its counts by nationality."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from issdash.feeds.adapters.crew import CrewReport, parse_astros, parse_corquaid
from issdash.feeds.health import FeedHealth
from issdash.feeds.names import lookup, same_person
from issdash.feeds.poller import FeedFailure, FeedUpdate
from issdash.feeds.sources import FeedError, RawResponse
from issdash.model.crew_roster import build_roster, choose_source
from issdash.model.state import MissionState
from scripts.fixtures.ms27_payloads import (
    ISS_CREW_BEFORE_MS27,
    MS27_CREW,
    astros,
    corquaid_people,
    corquaid_person,
)

NOW = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)
MS27_NAMES_ALL_SPELLINGS = [
    ("Ivan Vagner", "Ivan Wagner"),
    ("Alexey Zubritsky", "Aleksei Zubritskii"),
    ("Alexey Zubritsky", "Alexei Zubritsky"),
    ("Jonny Kim", "Jonathan Kim"),
    ("Don Pettit", "Donald Pettit"),
    ("Aleksey Ovchinin", "Alexey Ovchinin"),
    ("Sergey Ryzhikov", "Sergei Ryzhikov"),
    ("Takuya Onishi", "TAKUYA ONISHI"),
    ("Nichole Ayers", 'Nichole "Vapor" Ayers'),
    ("Cai Xuzhe", "Xuzhe Cai"),
    ("Kirill Peskov", "Kirill Péskov"),
]


def raw(payload: Any) -> RawResponse:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return RawResponse("file:///x", 200, "application/json", body, NOW)


def state_with(
    crew: CrewReport | None = None, astros_report: CrewReport | None = None, at: datetime = NOW
) -> MissionState:
    state = MissionState().with_feeds(
        {"crew": FeedHealth("crew", True, 1800), "astros": FeedHealth("astros", True, 1800)}
    )
    if crew is not None:
        state = state.apply(FeedUpdate("crew", crew, at))
    if astros_report is not None:
        state = state.apply(FeedUpdate("astros", astros_report, at))
    return state


def test_corquaid_ms27_day() -> None:
    report = parse_corquaid(raw(corquaid_people()), NOW)
    assert report.source == "corquaid"
    assert report.expedition == 72
    assert len(report.people) == 13
    assert len(report.on_iss) == 10
    elsewhere = [p for p in report.people if not p.on_iss]
    assert {p.station for p in elsewhere} == {"Tiangong"}
    kim = next(p for p in report.people if p.name == "Jonny Kim")
    assert (kim.country, kim.agency, kim.spacecraft, kim.prior_days) == (
        "US",
        "NASA",
        "Soyuz MS-27",
        0,
    )
    assert kim.launched == datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
    commander = next(p for p in report.people if p.is_commander and p.on_iss)
    assert commander.name == "Aleksey Ovchinin"


def test_duplicates_and_spelling_variants_count_once() -> None:
    payload = corquaid_people()
    wagner = next(p for p in payload["people"] if p["name"] == "Ivan Wagner")
    payload["people"].append(dict(wagner))  # listed twice
    payload["people"].append(
        {**wagner, "name": "Ivan Vagner", "days_in_space": None}
    )  # and spelt the other way
    report = parse_corquaid(raw(payload), NOW)
    assert len(report.on_iss) == 10
    kept = [p for p in report.people if same_person(p.name, "Ivan Vagner")]
    assert len(kept) == 1 and kept[0].prior_days == 195  # the fuller entry is kept


def test_missing_fields_and_unknown_country_code() -> None:
    rows = [
        {"name": "Takuya Onishi"},  # nothing but a name: nationality from the reference table
        {"name": "Jane Q. Nobody", "flag_code": "xx", "iss": True},  # unknown code, unknown person
        {
            "name": "Sergey Ryzhikov",
            "flag_code": "zz",
            "iss": True,
            "launched": "soon",
        },  # bad code, bad type
        {"name": "", "iss": True},  # no name: skipped, never invented
        {"flag_code": "us"},  # no name at all
    ]
    report = parse_corquaid(raw({"people": rows}), NOW)
    by_name = {p.name: p for p in report.people}
    assert set(by_name) == {"Takuya Onishi", "Jane Q. Nobody"}
    assert by_name["Takuya Onishi"].country == "JP"
    assert by_name["Takuya Onishi"].on_iss  # corquaid's iss flag missing: listed means aboard
    assert by_name["Jane Q. Nobody"].country is None
    assert by_name["Takuya Onishi"].launched is None
    assert report.expedition is None


def test_unknown_code_falls_back_to_the_table() -> None:
    row = corquaid_person(MS27_CREW[0], 1) | {"flag_code": "xx"}
    report = parse_corquaid(raw({"people": [row]}), NOW)
    assert report.people[0].country == "RU"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], "expected a JSON object"),
        ({"people": "ten"}, "no people list"),
        ({"number": 3}, "no people list"),
        ("not json", "malformed JSON"),
        ("", "empty body"),
        ({"people": [{"flag_code": "us"}, {"name": None}]}, "none of the 2 crew entries is valid"),
    ],
)
def test_corquaid_rejections(payload: Any, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_corquaid(raw(payload), NOW)


def test_empty_people_list_is_nobody() -> None:
    report = parse_corquaid(raw({"number": 0, "people": []}), NOW)
    assert report.people == ()


def test_absurd_launch_times_are_dropped() -> None:
    row = corquaid_person(MS27_CREW[2], 1)
    for launched in (4_000_000_000, -5, 1.0):
        report = parse_corquaid(raw({"people": [row | {"launched": launched}]}), NOW)
        assert report.people[0].launched is None


def test_astros_names_only_get_nationality_from_the_table() -> None:
    report = parse_astros(raw(astros()), NOW)
    assert report.source == "open-notify"
    assert len(report.on_iss) == 10
    countries = sorted(p.country or "??" for p in report.on_iss)
    assert countries == ["JP"] + ["RU"] * 5 + ["US"] * 4
    assert all(p.station == "Tiangong" for p in report.people if not p.on_iss)


def test_astros_unknown_person_is_unknown_not_guessed() -> None:
    report = parse_astros(raw(astros([("Zork Blarg", "ISS"), ("Takuya Onishi", "ISS")])), NOW)
    assert {p.name: p.country for p in report.people} == {"Zork Blarg": None, "Takuya Onishi": "JP"}


@pytest.mark.parametrize(("a", "b"), MS27_NAMES_ALL_SPELLINGS)
def test_name_variants_match(a: str, b: str) -> None:
    assert same_person(a, b)
    assert same_person(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Anne McClain", "Nichole Ayers"),
        ("Ivan Vagner", "Ivan Ivanov"),
        ("Wang Haoze", "Wang Yaping"),
        ("", "Jonny Kim"),
    ],
)
def test_different_people_do_not_match(a: str, b: str) -> None:
    assert not same_person(a, b)


def test_reference_table_covers_ms27_and_is_well_formed() -> None:
    from importlib import resources

    data = json.loads((resources.files("issdash.feeds.data") / "people.json").read_text())
    for row in data["people"]:
        assert len(row["country"]) == 2 and row["country"].isupper()
    for row in ISS_CREW_BEFORE_MS27 + MS27_CREW:
        person = lookup(row[0])
        assert person is not None and person.country == row[2].upper(), row[0]
    for name in ("Cai Xuzhe", "Song Lingdong", "Wang Haoze"):
        assert lookup(name) is not None and lookup(name).country == "CN"  # type: ignore[union-attr]


def test_roster_counts_by_nationality() -> None:
    roster = build_roster(state_with(parse_corquaid(raw(corquaid_people()), NOW)), NOW)
    assert roster is not None
    assert roster.aboard == 10
    assert roster.by_country == {"RU": 5, "US": 4, "JP": 1}
    assert [g.country for g in roster.groups] == ["RU", "US", "JP"]  # largest first
    assert roster.groups[0].people[0].name == "Aleksey Ovchinin"  # commander first
    assert roster.elsewhere == (("Tiangong", 3),)
    assert roster.expedition == 72
    assert roster.disagreement is None
    ovchinin = roster.groups[0].people[0]
    assert ovchinin.days_on_mission == 208  # 2024-09-11 16:23 to 2025-04-08 12:00
    assert ovchinin.days_in_space == 375 + 208


def test_astros_stands_in_when_crew_is_down() -> None:
    state = state_with(astros_report=parse_astros(raw(astros()), NOW))
    state = state.apply(FeedFailure("crew", "HTTP 503", NOW, 60.0))
    roster = build_roster(state, NOW)
    assert roster is not None and roster.source == "open-notify"
    assert roster.by_country == {"RU": 5, "US": 4, "JP": 1}


def test_astros_used_when_crew_is_failing_and_older() -> None:
    earlier = datetime(2025, 4, 8, 6, 0, tzinfo=UTC)
    before = parse_corquaid(raw(corquaid_people(ISS_CREW_BEFORE_MS27)), NOW)
    state = state_with(crew=before, at=earlier)
    state = state.apply(FeedUpdate("astros", parse_astros(raw(astros()), NOW), NOW))
    assert choose_source(state) is state.crew  # healthy crew wins even if older
    state = state.apply(FeedFailure("crew", "timed out", NOW, 60.0))
    assert choose_source(state) is state.astros
    roster = build_roster(state, NOW)
    assert roster is not None and roster.aboard == 10
    assert roster.disagreement == "corquaid lists 7 aboard, open-notify 10"


def test_disagreement_on_names_is_flagged() -> None:
    crew = parse_corquaid(raw(corquaid_people()), NOW)
    names = [*[(p.name, "ISS") for p in crew.on_iss][:-1], ("Zork Blarg", "ISS")]
    state = state_with(crew, parse_astros(raw(astros(names)), NOW))
    roster = build_roster(state, NOW)
    assert roster is not None
    assert roster.disagreement == "open-notify does not list Jonny Kim"


def test_same_ten_spelt_differently_do_not_disagree() -> None:
    state = state_with(
        parse_corquaid(raw(corquaid_people()), NOW), parse_astros(raw(astros()), NOW)
    )
    roster = build_roster(state, NOW)
    assert roster is not None and roster.disagreement is None
