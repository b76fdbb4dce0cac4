"""The look of the demo's numbers: an API fix from our own elements says so, and a time is
never said twice in the same zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.telemetry import TelemetryPanel
from tests.support.dashboards import demo_app, screen_text, settle

# Many seconds in all (kiosk screens at several sizes and moments):
# `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow


def api_fix_line(app: IssDashApp) -> str:
    lines = [line.plain for line in app.query_one(TelemetryPanel).build_lines()]
    return next(line for line in lines if line.startswith("API fix"))


async def test_an_api_fix_from_our_own_elements_says_so_rather_than_delta_zero() -> None:
    # From 06:30 the demo's position fixes are computed from the very elements in use (as
    # wheretheiss.at computes its own): the residual is a fraction of a millimetre.
    app = demo_app(at=datetime(2025, 4, 8, 7, 0, tzinfo=UTC))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = api_fix_line(app)
        assert "same elements as ours" in line
        assert "Δ" not in line and "0.00 km" not in line


async def test_an_api_fix_from_other_elements_still_shows_its_residual() -> None:
    # Before 06:30 the dashboard propagates the older set, the fixes come from the newer.
    app = demo_app(at=datetime(2025, 4, 8, 6, 0, tzinfo=UTC))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = api_fix_line(app)
        assert "Δ 3.5" in line and "same elements" not in line


def _app_in_zone(zone: str) -> IssDashApp:
    settings = load_settings(timezone=zone)
    at = datetime(2025, 4, 8, 5, 44, tzinfo=UTC)
    return IssDashApp(Runtime.for_demo(settings, load_demo_recording(), FrozenClock(at)))


@pytest.mark.parametrize(
    ("zone", "local"), [("UTC", None), ("Europe/London", "06:47 BST"), ("Asia/Tokyo", "14:47 JST")]
)
async def test_the_launch_time_is_not_repeated_in_the_same_zone(
    zone: str, local: str | None
) -> None:
    app = _app_in_zone(zone)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "T- 3m 15s  05:47:15Z" in text
        if local is None:
            assert "05:47 UTC" not in text and "05:47:15Z  05:47" not in text
        else:
            assert f"05:47:15Z  {local}" in text


# The browser's terminal at 1400x900 (textual-serve gave its session COLUMNS=155, ROWS=42).
BROWSER_1400X900 = (155, 42)


SEVEN = ("Ovchinin", "Wagner", "Peskov", "Pettit", "McClain", "Ayers", "Onishi")
TEN = (*SEVEN, "Zubritsky", "Ryzhikov", "Kim")


@pytest.mark.parametrize(
    ("size", "hour", "minute", "names", "full_names"),
    [
        (BROWSER_1400X900, 8, 0, SEVEN, False),  # 8 rows: a line per country
        ((120, 40), 8, 0, SEVEN, True),  # the grouped table
        ((80, 24), 8, 0, SEVEN, False),
        # Ten aboard and the sources disagreeing: 16 lines grouped, 15 rows; the flat table.
        ((120, 40), 11, 45, TEN, True),
    ],
)
async def test_every_crew_member_is_visible_without_scrolling(
    size: tuple[int, int], hour: int, minute: int, names: tuple[str, ...], full_names: bool
) -> None:
    app = demo_app(at=datetime(2025, 4, 8, hour, minute, tzinfo=UTC))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.pause()
        panel = app.query_one("#crew-panel")
        top = panel.content_region.y
        rows = screen_text(app).splitlines()[top : top + panel.content_region.height]
        shown = "\n".join(rows)
        for surname in names:
            assert surname in shown, (size, surname, shown)
        assert ("Aleksey Ovchinin" in shown) == full_names
        assert "Elsewhere in space" in shown
