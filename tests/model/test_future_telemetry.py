"""Issue 24 case 2 and its invariant in the station model: an ISSLIVE update dated in the
future is set aside and said; it never claims AOS, never holds a value, never blocks newer ones.
Property tests cover any TimeStamp a server can send."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.health import FeedHealth
from issdash.feeds.isslive import utc_to_timestamp
from issdash.feeds.source_time import MAX_AHEAD, MAX_AHEAD_S
from issdash.model.state import MissionState
from issdash.model.station import FUTURE_NOTICE_S, SIGNAL_FRESH_S, StationModel
from issdash.model.status import build_status, dumps_status

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
FORTY_H = timedelta(hours=40)


def ts(at: datetime) -> str:
    return f"{utc_to_timestamp(at):.8f}"


def parse_z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def case_two(model: StationModel, updates: int) -> datetime:
    """The reproduction: one TIME_000001 of class 24 dated 40 h ahead (and a cabin pressure
    with it), then real LOS updates every 10 s with the real pressure falling. Returns the
    time of the last update."""
    model.apply_raw("TIME_000001", {"TimeStamp": ts(NOW + FORTY_H), "Status.Class": "24"}, NOW)
    model.apply_raw("USLAB000058", {"Value": "760", "TimeStamp": ts(NOW + FORTY_H)}, NOW)
    at = NOW
    for n in range(1, updates + 1):
        at = NOW + timedelta(seconds=10 * n)
        model.apply_raw("TIME_000001", {"TimeStamp": ts(at), "Status.Class": "0"}, at)
        model.apply_raw("USLAB000058", {"Value": f"{743 - n:.1f}", "TimeStamp": ts(at)}, at)
    return at


def test_case_two_a_future_aos_is_set_aside_and_real_los_updates_win() -> None:
    model = StationModel()
    last = case_two(model, 6)
    signal, since = model.signal(last)
    assert signal == "LOS"
    assert since is not None and since <= last  # never a signal_since in the future
    assert model.value("USLAB000058") == 737.0  # the real pressure, not frozen at 760
    assert model.future_dated == 2
    station = model.to_json(last)
    assert station["signal"] == "LOS"
    assert parse_z(station["signal_since"]) == NOW + timedelta(seconds=10)
    assert station["items"]["USLAB000058"]["timestamp"] == "2026-03-01T12:01:00Z"
    future = station["future_dated"]
    assert future["count"] == 2
    assert future["latest_item"] == "USLAB000058"
    assert future["ahead_s"] == 40 * 3600.0
    assert "dated in the future" in future["notice"] and "40.0 h" in future["notice"]


def test_a_future_aos_alone_is_not_aos() -> None:
    model = StationModel()
    model.apply_raw("TIME_000001", {"TimeStamp": ts(NOW + FORTY_H), "Status.Class": "24"}, NOW)
    assert model.signal(NOW)[0] != "AOS"
    assert model.signal(NOW + FORTY_H)[0] != "AOS"  # not even when its time comes


def test_within_the_skew_a_timestamp_ahead_is_taken_as_its_arrival() -> None:
    """A slow clock here (ISSLIVE a minute ahead) must not lose the signal: ahead within the
    skew, the update counts as heard when it arrived."""
    model = StationModel()
    ahead = NOW + MAX_AHEAD - timedelta(seconds=1)
    model.apply_raw("TIME_000001", {"TimeStamp": ts(ahead), "Status.Class": "24"}, NOW)
    assert model.signal(NOW) == ("AOS", NOW)
    assert model.future_dated == 0
    # Asked about a time before it was heard: a negative age is not fresh.
    assert model.signal(NOW - timedelta(seconds=1))[0] == "LOS"


def test_the_notice_is_said_for_an_hour_then_only_counted() -> None:
    model = StationModel()
    model.apply_raw("TIME_000001", {"TimeStamp": ts(NOW + FORTY_H), "Status.Class": "24"}, NOW)
    assert model.future_notice(NOW) is not None
    assert model.future_notice(NOW + timedelta(seconds=FUTURE_NOTICE_S + 1)) is None
    assert model.to_json(NOW + timedelta(hours=2))["future_dated"]["count"] == 1


def test_status_with_future_telemetry_is_degraded_and_says_why() -> None:
    model = StationModel()
    model.apply_raw("TIME_000001", {"TimeStamp": ts(NOW + FORTY_H), "Status.Class": "24"}, NOW)
    before = build_status(MissionState(station=StationModel()), NOW, 10.0)
    status = build_status(MissionState(station=model), NOW, 10.0)
    assert status["station"]["signal"] != "AOS"
    assert status["degraded"] is True
    new = [n for n in status["notices"] if n not in before["notices"]]
    assert len(new) == 1 and "telemetry" in new[0] and "in the future" in new[0]


def test_the_status_json_flags_a_feed_whose_data_is_from_the_future() -> None:
    future = FeedHealth(
        "tle", True, 7200, data_time=NOW + timedelta(hours=5), max_data_age_s=3 * 86400
    ).succeeded(NOW)
    status = build_status(MissionState().with_feeds({"tle": future}), NOW, 10.0)
    assert status["feeds"]["tle"]["state"] == "stale"
    assert "5.0 h after it arrived" in status["feeds"]["tle"]["data_from_future"]
    assert any(n.startswith("tle: its data is dated 5.0 h") for n in status["notices"])
    assert status["degraded"] is True


# ---- any TimeStamp ---------------------------------------------------------------------

_hours_ahead = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-48, 48),  # around now: past, now, just ahead, well ahead
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, 8760, 8784, 8808, 8832, 8833, -1, 1e308, -1e308]),
)


def _timestamp_text(hours_ahead: float | int, absolute: bool) -> str:
    """A TimeStamp field: hours relative to now, or a raw (possibly absurd) number of hours."""
    if absolute:
        return str(hours_ahead)
    try:
        value = utc_to_timestamp(NOW) + float(hours_ahead)
    except OverflowError:
        return str(hours_ahead)
    return repr(value) if not math.isfinite(value) else f"{value:.8f}"


@settings(max_examples=150, deadline=None)
@given(
    hours=_hours_ahead,
    absolute=st.booleans(),
    status_class=st.sampled_from(["24", "0", "", None]),
    ask_after_s=st.floats(-300, 200_000),
)
def test_any_timestamp_never_gives_a_future_or_negative_age_fresh_signal(
    hours: float | int, absolute: bool, status_class: str | None, ask_after_s: float
) -> None:
    model = StationModel()
    text = _timestamp_text(hours, absolute)
    model.apply_raw("TIME_000001", {"TimeStamp": text, "Status.Class": status_class}, NOW)
    model.apply_raw("USLAB000058", {"Value": "743.0", "TimeStamp": text}, NOW)
    now = NOW + timedelta(seconds=ask_after_s)
    signal, since = model.signal(now)
    station = model.to_json(now)
    json.loads(dumps_status({"station": station}))  # strict JSON, no exception
    if signal == "AOS":
        # Fresh: heard no later than it arrived, and an age at `now` of 0 to SIGNAL_FRESH_S
        # (never negative).
        assert since is not None and since <= NOW
        assert since <= now <= since + timedelta(seconds=SIGNAL_FRESH_S)
    for item in station["items"].values():
        if item["timestamp"] is not None:
            assert parse_z(item["timestamp"]) <= NOW + MAX_AHEAD
    if model.future_dated:
        assert model.value("USLAB000058") is None and signal is None
        assert station["future_dated"]["ahead_s"] > MAX_AHEAD_S


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(700, 760), min_size=2, max_size=30),
    bogus_at=st.integers(0, 29),
    bogus_ahead_s=st.one_of(st.floats(MAX_AHEAD_S + 1, 2 * 86400 - 1), st.floats(0, 400 * 86400)),
    bogus_class=st.sampled_from(["24", "0"]),
)
def test_updates_with_one_bogus_future_one_converge_to_the_real_latest(
    values: list[float], bogus_at: int, bogus_ahead_s: float, bogus_class: str
) -> None:
    """Real updates every 10 s (signal LOS, pressure moving), one of them preceded by a
    bogus update dated ahead by any amount: the model ends on the real latest values."""
    model = StationModel()
    at = NOW
    for n, value in enumerate(values):
        at = NOW + timedelta(seconds=10 * n)
        if n == min(bogus_at, len(values) - 1):
            bogus = ts(at + timedelta(seconds=bogus_ahead_s))
            model.apply_raw("TIME_000001", {"TimeStamp": bogus, "Status.Class": bogus_class}, at)
            model.apply_raw("USLAB000058", {"Value": "999", "TimeStamp": bogus}, at)
        model.apply_raw("TIME_000001", {"TimeStamp": ts(at), "Status.Class": "0"}, at)
        model.apply_raw("USLAB000058", {"Value": f"{value:.3f}", "TimeStamp": ts(at)}, at)
    assert model.value("USLAB000058") == float(f"{values[-1]:.3f}")
    signal, since = model.signal(at)
    assert signal == "LOS"
    assert since is not None and since <= at
