"""What a newcomer reads on a short terminal: hints that name every way out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.containers import VerticalScroll

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.model.kiosk import KioskController
from issdash.model.layout import (
    BORDER,
    CARD_LINES_MIN,
    CHROME_ROWS,
    MIN_HEIGHT,
    MIN_WIDTH,
    size_class,
)
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.launch_card import LaunchCard
from issdash.widgets.passes.banner import PassBanner
from issdash.widgets.passes.planner import heading_lines
from issdash.widgets.telemetry import TelemetryPanel

# Many seconds in all (whole dashboards at several sizes and moments):
# `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow


def _drawn_lines(panel: TelemetryPanel) -> list[str]:
    return [
        "".join(segment.text for segment in panel.render_line(y)).rstrip()
        for y in range(panel.size.height)
    ]


async def test_no_observer_hint_names_place_and_observer_whole_at_80x24() -> None:
    # Most people know their town's name, not its coordinates: the hint must offer --place
    # too, and neither option may be cut by the 80-column side panel.
    runtime = Runtime.for_demo(
        load_settings(), load_demo_recording(), FrozenClock(datetime(2025, 4, 8, 6, 0, tzinfo=UTC))
    )
    app = IssDashApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        lines = _drawn_lines(app.query_one(TelemetryPanel))
    text = "\n".join(lines)
    assert "no observer set" in text
    assert "--place" in text and "--observer" in text
    assert "…" not in "".join(line for line in lines if "--" in line)


# -- the launch card on a short terminal -------------------------------------------------

LAUNCH_CARD_AT = datetime(2025, 4, 8, 5, 44, tzinfo=UTC)  # T- 3m 15s, the demo's first frame


@given(st.integers(MIN_WIDTH, 400), st.integers(MIN_HEIGHT, 29))
def test_on_short_terminals_map_card_and_crew_summary_fit_the_left_column(
    width: int, height: int
) -> None:
    layout = size_class(width, height)
    assert layout.card_lines is not None and layout.card_lines >= CARD_LINES_MIN
    body_rows = height - CHROME_ROWS
    used = (layout.map_rows_with_card + BORDER) + (layout.card_lines + BORDER) + 3
    assert used <= body_rows
    assert layout.map_rows_with_card <= layout.map_rows


@given(st.integers(MIN_WIDTH, 400), st.integers(30, 150))
def test_tall_terminals_keep_the_map_whole_under_a_card(width: int, height: int) -> None:
    layout = size_class(width, height)
    assert layout.map_rows_with_card == layout.map_rows and layout.card_lines is None


def _panel_text(app: IssDashApp, selector: str) -> list[str]:
    region = app.query_one(selector).region
    rows = [strip.text for strip in app.screen._compositor.render_strips()]
    return [row[region.x : region.right] for row in rows[region.y : region.bottom]]


@pytest.mark.parametrize("size", [(80, 24), (99, 24), (120, 24), (60, 20), (80, 29)])
async def test_under_the_launch_card_the_crew_keeps_its_summary_and_no_scrollbar(
    size: tuple[int, int],
) -> None:
    runtime = Runtime.for_demo(load_settings(), load_demo_recording(), FrozenClock(LAUNCH_CARD_AT))
    app = IssDashApp(runtime)
    async with app.run_test(size=size) as pilot:
        card_widget = app.query_one(LaunchCard)
        for _ in range(200):  # until the card is up and laid out at its lines (a loaded machine)
            shown = card_widget.render().plain.split("\n")
            if app.has_class("-launch-card") and card_widget.region.height == len(shown):
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        crew = app.query_one("#crew-panel", VerticalScroll)
        card = _panel_text(app, "#launch-panel")
        crew_text = _panel_text(app, "#crew-panel")
        assert crew.region.height >= 3, crew.region  # the summary line in its borders
        assert "7 aboard" in "".join(crew_text)
        assert not crew.vertical_scrollbar.display or not crew.show_vertical_scrollbar
        text = "\n".join(card)
        widget = app.query_one(LaunchCard)
        assert widget.region.height == len(widget.render().plain.split("\n"))  # all shown
        assert "Soyuz MS-27" in text and "▲" in text
        if size[0] >= 80:  # at 60 columns the count is the next event panel's alone
            assert "T- 3m 1" in text
        if size == (80, 24):
            # The four lines the rows allow: the pad's name on its own line, not cut early.
            assert "31/6, Baikonur Cosmodrome" in text
            assert "…" not in card[1]  # the head: what does not fit is left off whole


# -- a pass alert in the kiosk -----------------------------------------------------------

CAIRNS = "-16.92,145.77"
VISIBLE_RISE = datetime(2025, 4, 8, 9, 25, 26, tzinfo=UTC)  # the demo day's visible pass


class _Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("kiosk", [False, True])
async def test_the_kiosk_says_an_alert_with_its_banner_not_a_toast_over_panels(
    kiosk: bool,
) -> None:
    loaded = load_settings(observer=CAIRNS)
    runtime = Runtime.for_demo(
        loaded, load_demo_recording(), FrozenClock(VISIBLE_RISE - timedelta(minutes=11))
    )
    app = IssDashApp(runtime, kiosk=KioskController(loaded.kiosk, _Monotonic()) if kiosk else None)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(1500):
            if app.passes is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        rings: list[str] = []
        told: list[str] = []
        app.bell = lambda: rings.append("bell")  # type: ignore[method-assign]
        app.notify = lambda message, **kw: told.append(message)  # type: ignore[method-assign]
        clock = app.clock
        assert isinstance(clock, FrozenClock)
        for _ in range(12):  # ticks across the alert time, ten seconds apart
            clock.advance(10)
            app._tick()
        await pilot.pause()
        assert rings == ["bell"]  # the alert fired, in both
        if kiosk:
            assert told == []
            banner = app.query_one(PassBanner)
            assert banner.alert is not None and banner.display
            assert banner.alert.message.startswith("ISS visible in")
        else:
            assert told == ["ISS visible in 10 min, look NNW, up to 71°, very bright"]


# -- the API fix line in the 80-column side panel ------------------------------------------


@pytest.mark.parametrize(("size", "with_age"), [((80, 24), False), ((120, 40), True)])
async def test_same_elements_is_said_whole_and_its_age_only_where_it_fits(
    size: tuple[int, int], with_age: bool
) -> None:
    # From 06:30 the demo's fixes come from the elements in use: "same elements as ours".
    runtime = Runtime.for_demo(
        load_settings(),
        load_demo_recording(),
        FrozenClock(datetime(2025, 4, 8, 7, 0, tzinfo=UTC)),
    )
    app = IssDashApp(runtime)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        lines = _drawn_lines(app.query_one(TelemetryPanel))
    line = next(line for line in lines if "API fix" in line)
    assert "same elements as ours" in line and "…" not in line
    assert ("ago" in line) == with_age


# -- the planner's heading -------------------------------------------------------------

PARTS = st.text(st.characters(codec="ascii", exclude_characters="\n·"), min_size=1, max_size=40)


@given(st.lists(PARTS, min_size=1, max_size=6), st.integers(1, 120))
def test_the_planner_heading_breaks_between_its_parts_only(parts: list[str], width: int) -> None:
    heading = " · ".join(parts)
    lines = heading_lines(heading, width).split("\n")
    assert " · ".join(lines) == heading  # nothing lost, nothing cut inside a part
    for line in lines:
        assert len(line) <= width or " · " not in line  # only a lone part may be wider


def test_the_demo_heading_at_80_columns_keeps_the_zone_whole() -> None:
    heading = (
        "Cairns, AU (16.92°S 145.77°E) · 10 days above 10° · "
        "Australia/Brisbane (zone of the place) · all (v: visible only)"
    )
    assert heading_lines(heading, 78).split("\n") == [
        "Cairns, AU (16.92°S 145.77°E) · 10 days above 10°",
        "Australia/Brisbane (zone of the place) · all (v: visible only)",
    ]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_planner_heading_on_screen_keeps_the_zone_on_one_line(
    size: tuple[int, int],
) -> None:
    loaded = load_settings(observer=CAIRNS)
    runtime = Runtime.for_demo(
        loaded, load_demo_recording(), FrozenClock(VISIBLE_RISE - timedelta(minutes=11))
    )
    app = IssDashApp(runtime)
    async with app.run_test(size=size) as pilot:
        for _ in range(1500):
            if app.passes is not None:
                break
            await pilot.pause(0.02)
        await pilot.press("p")
        await pilot.pause(0.3)
        rows = [strip.text for strip in app.screen._compositor.render_strips()]
    heading = [row for row in rows[1:5] if "(zone" in row or "coordinates)" in row]
    assert len(heading) == 1 and "Australia/Brisbane (zone at the coordinates)" in heading[0]


async def test_a_pass_detail_too_long_for_60_columns_wraps_under_its_value() -> None:
    loaded = load_settings(observer=CAIRNS)
    runtime = Runtime.for_demo(
        loaded, load_demo_recording(), FrozenClock(VISIBLE_RISE + timedelta(minutes=2))
    )
    app = IssDashApp(runtime)
    async with app.run_test(size=(60, 20)) as pilot:
        for _ in range(1500):
            if app.passes is not None:
                break
            await pilot.pause(0.02)
        await pilot.press("p")
        await pilot.pause(0.5)
        info = app.screen.query_one("#pass-info").region
        rows = [strip.text for strip in app.screen._compositor.render_strips()]
    lines = [row[info.x : info.right] for row in rows[info.y : info.bottom]]
    shadow = next(line for line in lines if "Shadow" in line)
    rest = next(line for line in lines if "fades out" in line)
    assert "fades out" not in shadow  # it did wrap at 60 columns
    # Under "enters", not back under "Shadow".
    assert rest.index("fades out") == shadow.index("enters"), lines


async def test_the_next_pass_is_said_in_the_observers_time_like_the_visible_line() -> None:
    runtime = Runtime.for_demo(
        load_settings(observer="51.5074,-0.1278"),
        load_demo_recording(),
        FrozenClock(LAUNCH_CARD_AT),
    )
    app = IssDashApp(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(1500):
            if app.passes is not None:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.3)
        lines = _drawn_lines(app.query_one(TelemetryPanel))
    line = next(line for line in lines if line.startswith("Next pass"))
    # London in April: British Summer Time, an hour ahead of the 08:50Z rise.
    assert "09:50 BST" in line and "08:50Z" not in line, line
