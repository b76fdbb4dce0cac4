"""What a newcomer reads on a short terminal: hints that name every way out."""

from __future__ import annotations

from datetime import UTC, datetime

from app.runtime import Runtime, load_demo_recording
from app.settings import load_settings
from app.tui.dashboard import IssDashApp
from feeds.clock import FrozenClock
from widgets.telemetry import TelemetryPanel


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
