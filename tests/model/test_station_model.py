"""The station model and ISSLIVE conversions: worked examples, validation, signal, history."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from issdash.feeds.isslive import (
    Ignored,
    kpa_to_psi,
    mmhg_to_kpa,
    parse_update,
    quaternion_to_ypr,
    timestamp_to_utc,
    utc_to_timestamp,
)
from issdash.model.station import ANY_ITEM_FRESH_S, StationModel

NOW = datetime(2018, 10, 13, 0, 0, 1, tzinfo=UTC)


def test_worked_example_mid_maneuver() -> None:
    att = quaternion_to_ypr(0.852000058, -0.195457280, -0.185189426, -0.448995829)
    assert (att.yaw_deg, att.pitch_deg, att.roll_deg) == pytest.approx(
        (-52.67, -29.41, -11.04), abs=0.01
    )


def test_worked_example_torque_equilibrium() -> None:
    att = quaternion_to_ypr(0.998781621, 0.003580318, -0.015778555, -0.046620384)
    assert (att.yaw_deg, att.pitch_deg, att.roll_deg) == pytest.approx(
        (-5.35, -1.79, 0.49), abs=0.01
    )


def test_sign_flip_past_180_keeps_the_angles_continuous() -> None:
    before = quaternion_to_ypr(
        6.93784459144808e-05, 0.0391758196055889, 0.0704633668065071, 0.996744811534882
    )
    after = quaternion_to_ypr(
        6.0369071434252e-05, -0.0392354801297188, -0.0705868229269981, -0.996733725070953
    )
    assert (before.yaw_deg, before.pitch_deg, before.roll_deg) == pytest.approx(
        (179.675, -4.479, 8.100), abs=0.01
    )
    assert (after.yaw_deg, after.pitch_deg, after.roll_deg) == pytest.approx(
        (179.689, -4.486, 8.114), abs=0.01
    )


unit = st.floats(-1, 1, allow_nan=False)


@given(unit, unit, unit, unit)
def test_q_and_minus_q_give_the_same_attitude(a: float, b: float, c: float, d: float) -> None:
    if math.sqrt(a * a + b * b + c * c + d * d) < 0.1:
        return
    p, m = quaternion_to_ypr(a, b, c, d), quaternion_to_ypr(-a, -b, -c, -d)
    assert p.pitch_deg == pytest.approx(m.pitch_deg, abs=1e-6)
    assert -90 <= p.pitch_deg <= 90 and -180 <= p.yaw_deg <= 180 and -180 <= p.roll_deg <= 180


def test_pitch_90_sets_roll_to_zero() -> None:
    half = math.sqrt(0.5)
    att = quaternion_to_ypr(half, 0.0, -half, 0.0)  # +90° about Y: C13 = 1
    assert att.pitch_deg == pytest.approx(-90.0) or att.pitch_deg == pytest.approx(90.0)
    assert att.roll_deg == 0.0


def test_units() -> None:
    assert mmhg_to_kpa(760.0) == pytest.approx(101.325, abs=1e-3)
    assert kpa_to_psi(101.325) == pytest.approx(14.696, abs=1e-3)


def test_timestamp_epoch_is_31_december() -> None:
    assert timestamp_to_utc(24.0, NOW) == datetime(2018, 1, 1, tzinfo=UTC)
    assert timestamp_to_utc(6864.00022194445, NOW) == pytest.approx(
        datetime(2018, 10, 13, 0, 0, 0, 799_000, tzinfo=UTC), abs=timedelta(milliseconds=5)
    )
    # Just after New Year a stale value from late December belongs to last year.
    jan = datetime(2019, 1, 1, 0, 5, tzinfo=UTC)
    assert timestamp_to_utc(8780.0, jan).year == 2018
    assert utc_to_timestamp(timestamp_to_utc(1234.5, NOW)) == pytest.approx(1234.5)


@pytest.mark.parametrize(
    ("item", "value", "why"),
    [
        ("USLAB999999", "1", "unknown item"),
        ("USLAB000010", "nan", "not finite"),
        ("USLAB000010", "inf", "not finite"),
        ("USLAB000010", "1e9", "out of range"),
        ("USLAB000040", "abc", "not a number"),
        ("S0000008", "42", "unknown code"),
        ("S0000008", "5.5", "unknown code"),
        ("NODE3000005", "", "no value"),
    ],
)
def test_bad_values_are_ignored_with_a_reason(item: str, value: str, why: str) -> None:
    with pytest.raises(Ignored, match=why):
        parse_update(item, {"Value": value, "TimeStamp": "6864.0"}, NOW)
    model = StationModel()
    assert model.apply_raw(item, {"Value": value, "TimeStamp": "6864.0"}, NOW) is False
    assert model.ignored == 1 and model.items == {}


def test_hostile_timestamp_is_refused() -> None:
    with pytest.raises(Ignored, match="TimeStamp"):
        parse_update("USLAB000010", {"Value": "5", "TimeStamp": "\x1b[2J99999"}, NOW)


def ts(at: datetime) -> str:
    return f"{utc_to_timestamp(at):.8f}"


def test_signal_from_time_item_and_los_since() -> None:
    model = StationModel()
    t0 = NOW
    model.apply_raw("NODE3000005", {"Value": "35", "TimeStamp": ts(t0)}, t0)
    model.apply_raw("TIME_000001", {"TimeStamp": ts(t0), "Status.Class": "24"}, t0)
    assert model.signal(t0) == ("AOS", t0)
    later = t0 + timedelta(seconds=3)
    model.apply_raw("TIME_000001", {"TimeStamp": ts(later), "Status.Class": "24"}, later)
    assert model.signal(later) == ("AOS", t0)
    # Silence: LOS since it was last heard, values kept but stale.
    quiet = later + timedelta(seconds=60)
    assert model.signal(quiet)[0] == "LOS"
    assert model.signal(quiet)[1] == pytest.approx(later, abs=timedelta(milliseconds=1))
    station = model.to_json(quiet)
    assert station["urine_tank_pct"] == 35 and station["items"]["NODE3000005"]["stale"] is True
    # Acquisition restores them.
    back = quiet + timedelta(seconds=1)
    model.apply_raw("TIME_000001", {"TimeStamp": ts(back), "Status.Class": "24"}, back)
    assert model.signal(back)[0] == "AOS"
    assert model.to_json(back)["items"]["NODE3000005"]["stale"] is False
    # "Status.Class" saying LOS is LOS even though the value is fresh.
    model.apply_raw("TIME_000001", {"TimeStamp": ts(back), "Status.Class": "0"}, back)
    assert model.signal(back)[0] == "LOS"


def test_signal_without_time_item_uses_the_newest_value() -> None:
    model = StationModel()
    model.apply_raw("USLAB000010", {"Value": "7", "TimeStamp": ts(NOW)}, NOW)
    assert model.signal(NOW)[0] == "AOS"
    gap = NOW + timedelta(seconds=ANY_ITEM_FRESH_S + 1)
    assert model.signal(gap) == ("LOS", pytest.approx(NOW, abs=timedelta(milliseconds=1)))


def test_older_timestamp_never_replaces_a_newer_value() -> None:
    model = StationModel()
    model.apply_raw("USLAB000010", {"Value": "7", "TimeStamp": ts(NOW)}, NOW)
    model.apply_raw("USLAB000010", {"Value": "3", "TimeStamp": ts(NOW - timedelta(seconds=4))}, NOW)
    assert model.value("USLAB000010") == 7


def test_attitude_needs_all_four_components_close_in_time() -> None:
    model = StationModel()
    q = ("0.852000058", "-0.195457280", "-0.185189426", "-0.448995829")
    items = ("USLAB000018", "USLAB000019", "USLAB000020", "USLAB000021")
    for item, value in zip(items[:3], q[:3], strict=True):
        model.apply_raw(item, {"Value": value, "TimeStamp": ts(NOW)}, NOW)
    assert model.attitude is None
    model.apply_raw(items[3], {"Value": q[3], "TimeStamp": ts(NOW)}, NOW)
    assert model.to_json(NOW)["attitude"] == {
        "yaw_deg": -52.67,
        "pitch_deg": -29.41,
        "roll_deg": -11.04,
    }


def test_status_json_shape_and_units() -> None:
    model = StationModel()
    assert model.to_json(NOW)["signal"] is None
    assert model.to_json(NOW)["cabin_pressure_kpa"] is None
    model.apply_raw("USLAB000058", {"Value": "743.3", "TimeStamp": ts(NOW)}, NOW)
    station = model.to_json(NOW)
    assert set(station) == {
        "signal", "signal_since", "future_dated", "attitude", "cmg_momentum_pct", "solar_beta_deg",
        "cabin_pressure_kpa", "ppo2_kpa", "ppco2_kpa", "water_tank_pct", "urine_tank_pct", "items",
    }  # fmt: skip
    assert station["cabin_pressure_kpa"] == pytest.approx(99.099, abs=1e-3)


@given(st.lists(st.floats(0, 100), min_size=1, max_size=400), st.integers(1, 120))
def test_history_is_bounded_to_an_hour_a_point_a_minute(values: list[float], step_s: int) -> None:
    model = StationModel()
    for n, value in enumerate(values):
        at = NOW + timedelta(seconds=n * step_s)
        model.apply_raw("USLAB000010", {"Value": str(value), "TimeStamp": ts(at)}, at)
    end = NOW + timedelta(seconds=len(values) * step_s)
    series = model.history("cmg_momentum_pct", end)
    assert 1 <= len(series) <= 61 or (len(series) == 0 and len(values) * step_s > 3600)
    assert len(model._history["cmg_momentum_pct"]) <= 61
