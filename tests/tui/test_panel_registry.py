"""The panel registry's recipe (docs/architecture.md): a panel is an entry, a view builder and
a widget. Here all three are declared in the test itself; nothing else is edited, and the
panel is mounted in its column, titled, given its view every tick, and shown only at the
size classes its entry names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.model.kiosk import STATION_VIEW, VIEWS, KioskController
from issdash.model.layout import size_class
from issdash.tui import panels
from issdash.tui.dashboard import IssDashApp
from issdash.tui.frame import Frame

AT = datetime(2025, 4, 8, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CrewCountView:
    aboard: int | None
    at: datetime


def build_crew_count_view(frame: Frame) -> CrewCountView:
    """The view builder: pure, from the tick's frame."""
    crew = frame.known.crew
    return CrewCountView(len(crew.value.on_iss) if crew is not None else None, frame.now)


class CrewCount(Static):
    """The widget: draws its view, nothing else."""

    view: reactive[CrewCountView | None] = reactive(None)

    def watch_view(self, view: CrewCountView | None) -> None:
        if view is not None:
            self.update(f"{view.aboard} aboard at {view.at:%H:%M:%S}")


def show_crew_count(widget: CrewCount, frame: Frame) -> None:
    widget.view = build_crew_count_view(frame)


def entry(column: panels.Column, *sizes: str) -> panels.Panel[CrewCount]:
    return panels.Panel(
        id="crew-count",
        title="Crew count",
        column=column,
        widget=lambda _looks: CrewCount(id="crew-count"),
        show=show_crew_count,
        sizes=frozenset(sizes),  # type: ignore[arg-type]
    )


def dashboard() -> IssDashApp:
    runtime = Runtime.for_demo(load_settings(), load_demo_recording(), FrozenClock(AT))
    return IssDashApp(runtime)  # the demo's feeds replay a recording: no network


def shown(app: IssDashApp, selector: str) -> bool:
    widget = app.query_one(selector)
    return widget.display and widget.region.area > 0


async def settle_at(app: IssDashApp, pilot: object, size: tuple[int, int]) -> None:
    await pilot.resize_terminal(*size)  # type: ignore[attr-defined]
    for _ in range(4):
        await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.parametrize("column", ["left", "side"])
async def test_a_declared_panel_shows_at_120x40_and_follows_the_size_classes(
    monkeypatch: pytest.MonkeyPatch, column: panels.Column
) -> None:
    assert size_class(120, 40).name == "standard" and size_class(80, 24).name == "medium"
    monkeypatch.setattr(panels, "PANELS", (*panels.PANELS, entry(column, "standard", "large")))
    app = dashboard()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_at(app, pilot, (120, 40))
        box = app.query_one("#crew-count-panel")
        assert box.parent is not None and box.parent.id == column
        assert box.border_title == "Crew count"
        assert shown(app, "#crew-count-panel")
        column_region = app.query_one(f"#{column}").region
        assert column_region.contains_region(box.region)
        # Its view came from its builder, with the frame of the tick (the demo's crew).
        for _ in range(50):  # until the recorded crew feed has answered
            text = str(app.query_one(CrewCount).content)
            if not text.startswith("None"):
                break
            await pilot.pause(0.05)
        assert text.endswith("aboard at 09:00:00") and not text.startswith("None")
        # The panels already there are still on screen beside it.
        assert shown(app, "#map-panel") and shown(app, "#next-event-panel")

        await settle_at(app, pilot, (80, 24))  # medium: not among its entry's sizes
        assert not shown(app, "#crew-count-panel")
        assert shown(app, "#map-panel") and shown(app, "#next-event-panel")

        await settle_at(app, pilot, (120, 40))  # and back
        assert shown(app, "#crew-count-panel")


async def test_a_panel_only_for_small_terminals_shows_only_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(panels, "PANELS", (*panels.PANELS, entry("side", "small")))
    app = dashboard()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_at(app, pilot, (120, 40))
        assert not shown(app, "#crew-count-panel")
        await settle_at(app, pilot, (70, 20))
        assert size_class(70, 20).name == "small"
        assert shown(app, "#crew-count-panel")
        assert app.query_one("#crew-count-panel").parent.id == "side"  # type: ignore[union-attr]


def test_every_panel_on_screen_is_an_entry() -> None:
    """The dashboard's own panels are all registry entries (none laid out by hand)."""
    ids = {p.box_id for p in panels.PANELS}
    assert {
        "map-panel",
        "launch-panel",
        "crew-panel",
        "telemetry-panel",
        "station-panel",
        "next-event-panel",
        "passes-panel",
    } <= ids


async def test_the_boxes_on_screen_are_the_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    app = dashboard()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        boxes = {w.id for w in app.query(".panel").results(Widget)}
        expected = {p.box_id for p in panels.PANELS if not p.kiosk_only}
        assert boxes == expected


def test_the_kiosk_cycle_is_the_entries_that_join_it() -> None:
    """In the kiosk model's order; the station only with its feed on; a new entry after."""
    assert panels.kiosk_cycle(panels.PANELS, []) == VIEWS
    assert panels.kiosk_cycle(panels.PANELS, ["telemetry"]) == (*VIEWS, STATION_VIEW)
    toy = panels.Panel(id="toy", title="Toy", column="side", widget=lambda _: Static(), kiosk="toy")
    assert panels.kiosk_cycle((toy, *panels.PANELS), []) == (*VIEWS, "toy")


async def test_a_declared_panel_in_the_kiosk_cycle_is_emphasised_in_its_turn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    toy = panels.Panel(id="toy", title="Toy", column="side", widget=lambda _: Static(), kiosk="toy")
    monkeypatch.setattr(panels, "PANELS", (*panels.PANELS, toy))
    settings = load_settings(kiosk={"heartbeat_file": tmp_path / "hb"})
    runtime = Runtime.for_demo(settings, load_demo_recording(), FrozenClock(AT))
    elapsed = [0.0]
    kiosk = KioskController(settings.kiosk, lambda: elapsed[0])
    app = IssDashApp(runtime, kiosk=kiosk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "toy" in kiosk.views
        emphasised: list[str] = []
        for turn in range(len(kiosk.views)):
            elapsed[0] = turn * settings.kiosk.cycle_s
            app._tick()
            await pilot.pause()
            emphasised += [w.id or "" for w in app.query(".-emphasized").results(Widget)]
        assert emphasised == [
            p.box_id for name in kiosk.views for p in panels.PANELS if p.kiosk == name
        ]
        assert "toy-panel" in emphasised
