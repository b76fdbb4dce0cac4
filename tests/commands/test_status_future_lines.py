"""`issdash status` in text says what was set aside as dated in the future, as the JSON does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from issdash.commands.status import status_lines
from issdash.feeds.health import FeedHealth
from issdash.feeds.isslive import utc_to_timestamp
from issdash.feeds.poller import FeedUpdate
from issdash.model.state import MissionState
from issdash.model.station import StationModel
from issdash.model.status import build_status

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_text_names_the_feed_and_the_future_time() -> None:
    model = StationModel()
    ahead = f"{utc_to_timestamp(NOW + timedelta(hours=40)):.8f}"
    model.apply_raw("TIME_000001", {"TimeStamp": ahead, "Status.Class": "24"}, NOW)
    state = MissionState().with_feeds({"telemetry": FeedHealth("telemetry", True, 10)})
    state = state.apply(FeedUpdate("telemetry", model, NOW))
    lines = list(status_lines(build_status(state, NOW, 10.0)))
    feed_line = next(line for line in lines if line.lstrip().startswith("telemetry"))
    assert feed_line.split()[:2] == ["telemetry", "stale"]
    assert "1 update dated in the future set aside" in feed_line
    assert "40.0 h after it arrived" in feed_line
    assert any(line.startswith("  ! telemetry: 1 update dated in the future") for line in lines)
