"""Text from feeds is untrusted: markup stays literal, escapes and controls never reach the
terminal, long strings are cut, layout holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from issdash.feeds.adapters.crew import parse_corquaid
from issdash.feeds.adapters.schedule import parse_docked, parse_dockings
from issdash.feeds.sources import RawResponse
from issdash.feeds.text import clean_text
from issdash.widgets.countries import flag
from scripts.fixtures.ms27_payloads import (
    ISS_CREW_BEFORE_MS27,
    TLE_TEXT,
    corquaid_docked,
    corquaid_people,
    ll2_docking,
    ll2_dockings,
)
from tests.support.dashboards import file_feeds_app, wait_for_feeds

NOW = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)
ESC = "\x1b"

HOSTILE = {
    "rich markup": "[bold red]Evil[/] Kim",
    "textual action": "[@click=app.quit]Click me[/]",
    "link markup": "[link=https://evil.invalid]Pettit[/link]",
    "ansi colour": f"{ESC}[31mRed{ESC}[0m Onishi",
    "cursor moves": f"Ayers{ESC}[2J{ESC}[H{ESC}[10;10H",
    "osc 52 clipboard": f"McClain{ESC}]52;c;ZWNobyBwd25lZA=={chr(7)}",
    "osc 8 hyperlink": f"{ESC}]8;;https://evil.invalid{ESC}\\Peskov{ESC}]8;;{ESC}\\",
    "c0 controls": "Ry\x00zh\x07ik\x08ov\r\n",
    "c1 controls": "Vag\x85ner\x9b31m\x9d0;title\x9c",
    "bidi override": "\u202eniknivO\u202c Aleksey",
    "zero width": "Ja\u200bxa\u200d\ufeff Tester",
    "very long": "A" * 10_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_sanitiser(name: str) -> None:
    text = clean_text(HOSTILE[name], 40)
    assert ESC not in text
    assert all(ch.isprintable() for ch in text), repr(text)
    assert not any(0x80 <= ord(ch) <= 0x9F for ch in text)
    assert not any(ch in text for ch in "\u202e\u202c\u200b\u200d\ufeff")
    assert len(text) <= 40
    assert "52;c;" not in text and "evil.invalid" not in text.replace(
        "link=https://evil.invalid", ""
    )


def test_sanitiser_specifics() -> None:
    assert clean_text(HOSTILE["rich markup"]) == "[bold red]Evil[/] Kim"  # literal, not styled
    assert clean_text(HOSTILE["ansi colour"]) == "Red Onishi"
    assert clean_text(HOSTILE["osc 8 hyperlink"]) == "Peskov"
    assert clean_text(HOSTILE["osc 52 clipboard"]) == "McClain"
    assert clean_text(HOSTILE["c0 controls"]) == "Ryzhikov"
    assert clean_text(HOSTILE["zero width"]) == "Jaxa Tester"
    assert clean_text(HOSTILE["very long"], 40) == "A" * 39 + "…"
    assert clean_text("  lots\t\tof   space  ") == "lots of space"


@pytest.mark.parametrize("code", ["x1", "ZZ", "", "usa", "ü!", None, "\x1b["])
def test_invalid_flag_codes(code: str | None) -> None:
    row = {"name": "Nobody Known", "flag_code": code, "iss": True}
    (person,) = parse_corquaid(
        RawResponse("u", 200, "", json.dumps({"people": [row]}), NOW), NOW
    ).people
    assert person.country is None
    assert flag(person.country) == "??"


def test_adapters_clean_every_text_field() -> None:
    rows = [
        (
            v,
            "Russia",
            "ru",
            f"{ESC}[5mRoscosmos",
            "Commander\x07",
            ("Soyuz MS-26\u202e", "2024-09-11T16:23:00Z"),
            1,
        )
        for v in HOSTILE.values()
    ]
    report = parse_corquaid(RawResponse("u", 200, "", json.dumps(corquaid_people(rows)), NOW), NOW)
    for person in report.people:
        for value in (person.name, person.agency, person.role, person.spacecraft):
            assert value is not None and ESC not in value and value.isprintable()
        assert len(person.name) <= 40
    docked = corquaid_docked()
    docked["spacecraft"][0]["docking_port"] = f"Rassvet{ESC}]52;c;AAAA{chr(7)} nadir"
    (first, *_) = parse_docked(RawResponse("u", 200, "", json.dumps(docked), NOW), NOW).vehicles
    assert first.port == "Rassvet nadir"
    events = ll2_dockings(
        ll2_docking("[@click=app.quit]Soyuz MS-27[/]", "2025-04-08T13:00:00Z", f"Prichal{ESC}[2J")
    )
    (docking,) = parse_dockings(RawResponse("u", 200, "", json.dumps(events), NOW), NOW).dockings
    assert docking.vehicle == "[@click=app.quit]Soyuz MS-27[/]" and docking.port == "Prichal"


def hostile_app(tmp_path: Path) -> Any:
    names = list(HOSTILE.values())
    rows = [(names[i], *ISS_CREW_BEFORE_MS27[i % 7][1:]) for i in range(len(names))]
    docked = corquaid_docked()
    docked["spacecraft"][1]["docking_port"] = HOSTILE["osc 52 clipboard"]
    docked["spacecraft"][2]["name"] = HOSTILE["textual action"]
    events = ll2_dockings(
        ll2_docking(HOSTILE["link markup"], "2025-04-08T13:00:00Z", HOSTILE["cursor moves"])
    )
    return file_feeds_app(
        tmp_path, NOW, tle=TLE_TEXT, crew=corquaid_people(rows), docked=docked, dockings=events
    )


async def test_hostile_text_on_screen_stays_literal_and_inert(tmp_path: Path) -> None:
    app = hostile_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_feeds(pilot, "tle", "crew", "docked", "dockings")
        await pilot.click("#crew-panel")
        await pilot.pause()
        assert app.is_running  # "[@click=app.quit]" did nothing
        screen = app.export_screenshot()
        assert ESC not in screen and "\x07" not in screen
        assert "[bold red]Evil[/]" in screen.replace("&#160;", " ")  # literal markup
        assert "52;c;" not in screen and "evil.invalid" not in screen.replace(
            "link=https://evil.invalid", ""
        )


def test_hostile_text_snapshot(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_feeds(pilot, "tle", "crew", "docked", "dockings")

    assert snap_compare(hostile_app(tmp_path), terminal_size=(120, 40), run_before=run_before)


async def test_a_vehicle_name_with_markup_in_the_next_event_toast_stays_literal() -> None:
    """`n` says "Jumped to docking, <vehicle>" in a toast, and toasts parse markup: a Launch
    Library vehicle named "Progress [/] MS-31" raised MarkupError in the toast's render and
    ended the dashboard; "[@click=app.quit]" would have been a live action."""
    from issdash.config.settings import load_settings
    from issdash.core.runtime import Runtime, load_demo_recording
    from issdash.feeds.adapters.schedule import Docking, Dockings
    from issdash.feeds.clock import ScaledClock
    from issdash.feeds.poller import FeedUpdate
    from issdash.tui.dashboard import IssDashApp

    recording = load_demo_recording()
    clock = ScaledClock(datetime(2025, 4, 8, 11, 0, tzinfo=UTC), 1)
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, clock))
    name = "[@click=app.quit]Progress[/] [/] MS-31"
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause(0.5)
        hostile = Docking(id="x", vehicle=name, docking=datetime(2025, 4, 8, 11, 5, tzinfo=UTC))
        app.runtime.store.publish(FeedUpdate("dockings", Dockings(dockings=(hostile,)), NOW))
        await pilot.pause(0.3)
        await pilot.press("n")
        await pilot.pause(0.5)
        assert app.is_running
        screen = app.export_screenshot().replace("&#160;", " ")
        assert f"Jumped to docking, {name}" in [n.message for n in app._notifications]
        assert "[@click=app.quit]Progress[/]" in screen  # drawn as the text it is
    assert app.return_code in (None, 0)


async def test_a_failing_alert_hook_whose_stderr_has_markup_is_a_literal_notice() -> None:
    """The hook's first stderr line is quoted in a toast: "[/]" there ended the app."""
    import sys

    from textual.app import App

    from issdash.feeds.adapters.tle import parse_elements
    from issdash.model.orbit import OrbitEngine
    from issdash.model.passes.alerts import AlertOutcome, PassAlert
    from issdash.model.passes.finder import find_passes
    from issdash.tui.passes.alert_effects import AlertEffects, AlertEffectSettings
    from tests.support.observers import CAPE_TOWN

    engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, NOW), NOW))
    (p, *_) = find_passes(engine, CAPE_TOWN, NOW, NOW + timedelta(days=1), 10.0)
    script = "import sys; sys.stderr.write('no [/] display [@click=app.quit]x[/]\\n'); sys.exit(4)"
    notices: list[str] = []
    app: App[None] = App()
    async with app.run_test(size=(100, 24), notifications=True) as pilot:
        effects = AlertEffects(
            app,
            AlertEffectSettings(bell=False, desktop=False, command=[sys.executable, "-c", script]),
            notices.append,
        )
        effects.deliver(AlertOutcome(PassAlert("now", p.rise, p, "ISS visible now"), "fired"))
        for _ in range(100):
            if notices:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        assert app.is_running
        assert notices and "no [/] display" in notices[0]
        assert "no [/] display" in app.export_screenshot().replace("&#160;", " ")
