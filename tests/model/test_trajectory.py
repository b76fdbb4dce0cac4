"""Interpolation in a published trajectory (issdash.model.trajectory) against two-body orbits
whose truth is known at any time (scripts/fixtures/oem.py): the states returned as published,
under a metre between them by both methods, through a burn and beside it, nothing outside the
span or inside a gap."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.adapters.oem import StateVector, parse_oem
from issdash.feeds.sources import RawResponse
from issdash.model import trajectory as trajectory_module
from issdash.model.trajectory import Trajectory, TrajectoryState
from scripts.fixtures.oem import START, build_trajectory, write_kvn
from scripts.fixtures.oem import Trajectory as Truth

METHODS: tuple[Literal["hermite", "lagrange"], ...] = ("hermite", "lagrange")
PLAIN = build_trajectory(hours=6, burn=None)  # a Keplerian orbit sampled every 4 min
BURN = START + timedelta(hours=3, minutes=1)
# A burn ten times the sample's reboost, so a window that straddled it would show.
BURNING = build_trajectory(hours=6, burn=BURN, delta_v_m_s=4.0)


def states_of(truth: Truth) -> list[StateVector]:
    return [StateVector(when, *values) for when, values in truth.rows()]


def error_m(got: TrajectoryState | None, truth: Truth, when: datetime) -> float:
    assert got is not None
    r, _ = truth.truth(when)
    return float(np.linalg.norm(np.array(got.position_km) - r) * 1000)


def speed_error_mm_s(got: TrajectoryState | None, truth: Truth, when: datetime) -> float:
    assert got is not None
    _, v = truth.truth(when)
    return float(np.linalg.norm(np.array(got.velocity_km_s) - v) * 1e6)


PLAIN_TRAJECTORIES = {m: Trajectory(states_of(PLAIN), method=m) for m in METHODS}
BURNING_TRAJECTORIES = {m: Trajectory(states_of(BURNING), [BURN], method=m) for m in METHODS}
SPAN_S = (PLAIN.epochs[-1] - PLAIN.epochs[0]).total_seconds()


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, len(PLAIN.epochs) - 1), method=st.sampled_from(METHODS))
def test_at_a_state_the_state_is_returned_as_published(index: int, method: str) -> None:
    state = states_of(PLAIN)[index]
    got = PLAIN_TRAJECTORIES[method].state_at(state.epoch)  # type: ignore[index]
    assert got == TrajectoryState(
        (state.x_km, state.y_km, state.z_km), (state.vx_km_s, state.vy_km_s, state.vz_km_s)
    )


@settings(max_examples=60, deadline=None)
@given(seconds=st.floats(0, SPAN_S), method=st.sampled_from(METHODS))
def test_between_states_a_keplerian_orbit_within_a_metre(seconds: float, method: str) -> None:
    when = START + timedelta(seconds=seconds)
    got = PLAIN_TRAJECTORIES[method].state_at(when)  # type: ignore[index]
    assert error_m(got, PLAIN, when) < 1.0
    assert speed_error_mm_s(got, PLAIN, when) < 1.0


@pytest.mark.parametrize("method", METHODS)
def test_worst_case_on_a_dense_grid_including_the_ends(method: str) -> None:
    trajectory = PLAIN_TRAJECTORIES[method]
    times = [START + timedelta(seconds=s) for s in np.arange(0, SPAN_S, 17.0)]
    worst = max(error_m(trajectory.state_at(t), PLAIN, t) for t in times)
    assert worst < 1.0


@pytest.mark.parametrize("method", METHODS)
def test_through_a_burn_and_beside_it_within_a_metre(method: str) -> None:
    trajectory = BURNING_TRAJECTORIES[method]
    # Every 4-min interval from 20 min before the burn to 20 min after its block, densely.
    first = BURN - timedelta(minutes=20)
    times = [first + timedelta(seconds=s) for s in np.arange(0, 40 * 60 + 236, 3.7)]
    errors = [error_m(trajectory.state_at(t), BURNING, t) for t in times]
    assert max(errors) < 1.0


def test_a_window_straddling_the_burn_would_be_metres_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cut is what keeps the error down: without the event's break and the step rule,
    windows mix states from before and during the burn."""
    monkeypatch.setattr(trajectory_module, "STEP_RATIO", 1e9)
    naive = Trajectory(states_of(BURNING), method="lagrange")
    times = [BURN - timedelta(seconds=s) for s in np.arange(1, 240, 7.0)]
    assert max(error_m(naive.state_at(t), BURNING, t) for t in times) > 1.0


def test_the_burn_is_cut_from_the_steps_alone() -> None:
    """NASA's 2-s block after 4-min steps is found without the event summary."""
    trajectory = Trajectory(states_of(BURNING), method="lagrange")
    times = [BURN - timedelta(seconds=s) for s in np.arange(1, 240, 7.0)]
    assert max(error_m(trajectory.state_at(t), BURNING, t) for t in times) < 1.0


@pytest.mark.parametrize("method", METHODS)
def test_never_outside_the_span(method: str) -> None:
    trajectory = PLAIN_TRAJECTORIES[method]
    tiny = timedelta(microseconds=1)
    assert trajectory.state_at(PLAIN.epochs[0] - tiny) is None
    assert trajectory.state_at(PLAIN.epochs[-1] + tiny) is None
    assert trajectory.state_at(PLAIN.epochs[-1] + timedelta(days=3)) is None
    assert trajectory.state_at(PLAIN.epochs[-1]) is not None
    assert (trajectory.start, trajectory.stop) == (PLAIN.epochs[0], PLAIN.epochs[-1])


@pytest.mark.parametrize("method", METHODS)
def test_nothing_inside_a_gap_and_full_accuracy_up_to_it(method: str) -> None:
    states = states_of(PLAIN)
    holed = states[:30] + states[34:]  # 20 minutes missing
    trajectory = Trajectory(holed, method=method)
    assert trajectory.state_at(states[31].epoch) is None
    assert trajectory.state_at(states[29].epoch + timedelta(seconds=1)) is None
    for when in (
        states[29].epoch - timedelta(seconds=100),
        states[34].epoch + timedelta(seconds=100),
    ):
        assert error_m(trajectory.state_at(when), PLAIN, when) < 1.0


def test_a_burn_between_two_states_leaves_that_interval_unanswered() -> None:
    states = states_of(PLAIN)
    burn = states[40].epoch + timedelta(seconds=100)
    trajectory = Trajectory(states, [burn])
    assert trajectory.state_at(burn) is None
    assert trajectory.state_at(states[40].epoch + timedelta(seconds=1)) is None
    assert trajectory.state_at(states[40].epoch) is not None  # the states themselves stand
    assert trajectory.state_at(states[39].epoch + timedelta(seconds=1)) is not None


def test_epochs_must_increase_and_naive_times_are_utc() -> None:
    states = states_of(PLAIN)
    with pytest.raises(ValueError, match="increasing"):
        Trajectory([states[1], states[0], *states[2:]])
    with pytest.raises(ValueError, match="increasing"):
        Trajectory([states[0], states[0], *states[1:]])
    with pytest.raises(ValueError, match="two states"):
        Trajectory(states[:1])
    trajectory = PLAIN_TRAJECTORIES["hermite"]
    when = START + timedelta(minutes=77, seconds=13)
    assert trajectory.state_at(when.replace(tzinfo=None)) == trajectory.state_at(when)


@pytest.mark.parametrize("method", METHODS)
def test_motion_is_continuous_across_window_changes(method: str) -> None:
    """Walking forward second by second, the position moves by the velocity (the window
    changes at every state without a jump)."""
    trajectory = BURNING_TRAJECTORIES[method]
    previous = trajectory.state_at(START)
    assert previous is not None
    when = START
    for _ in range(3 * 3600 // 5):
        when += timedelta(seconds=5)
        current = trajectory.state_at(when)
        assert current is not None
        mean_velocity = (np.array(current.velocity_km_s) + np.array(previous.velocity_km_s)) / 2
        moved = np.array(current.position_km) - np.array(previous.position_km)
        assert np.linalg.norm(moved - mean_velocity * 5) * 1000 < 1.0
        previous = current


def test_from_the_oem_adapter_with_its_burn() -> None:
    body = write_kvn(BURNING)
    oem = parse_oem(RawResponse("file:///ISS.OEM_J2K_EPH.txt", 200, "", body, START), None)
    trajectory = Trajectory.from_oem(oem)
    for when in (
        BURN - timedelta(seconds=30),
        BURN + timedelta(seconds=61),
        BURN + timedelta(hours=1),
    ):
        # The file's states are written with 12 decimals of a km: micrometres.
        assert error_m(trajectory.state_at(when), BURNING, when) < 1.0


# -- many times at once (states_at) ---------------------------------------------------------

HOLED = Trajectory([*states_of(PLAIN)[:30], *states_of(PLAIN)[34:]])  # a 20-minute gap
VECTORISED = (
    PLAIN_TRAJECTORIES["hermite"],
    BURNING_TRAJECTORIES["hermite"],
    BURNING_TRAJECTORIES["lagrange"],
    HOLED,
)


@settings(max_examples=60, deadline=None)
@given(
    which=st.integers(0, len(VECTORISED) - 1),
    offsets_s=st.lists(st.floats(-600.0, SPAN_S + 600.0), min_size=1, max_size=40),
)
def test_many_times_at_once_agree_with_one_at_a_time(which: int, offsets_s: list[float]) -> None:
    """Same answer, same holes (outside the span, in the gap, beside the burn): to a mm."""
    trajectory = VECTORISED[which]
    # Exact states too, which must come back as published.
    whens = [START + timedelta(seconds=s) for s in offsets_s] + [PLAIN.epochs[5]]
    got = trajectory.states_at(np.array([w.timestamp() for w in whens]))
    for k, when in enumerate(whens):
        one = trajectory.state_at(when)
        assert bool(got.valid[k]) == (one is not None)
        if one is None:
            assert np.isnan(got.position_km[k]).all()
            continue
        assert np.abs(got.position_km[k] - one.position_km).max() < 1e-5
        assert np.abs(got.velocity_km_s[k] - one.velocity_km_s).max() < 1e-8
    assert tuple(got.position_km[-1]) == trajectory.state_at(PLAIN.epochs[5]).position_km  # type: ignore[union-attr]


def test_many_times_at_once_within_a_metre_of_the_truth_through_the_burn() -> None:
    trajectory = BURNING_TRAJECTORIES["hermite"]
    span_s = (BURNING.epochs[-1] - BURNING.epochs[0]).total_seconds()
    whens = [BURNING.epochs[0] + timedelta(seconds=s) for s in np.arange(0.0, span_s, 13.7)]
    got = trajectory.states_at(np.array([w.timestamp() for w in whens]))
    assert got.valid.all()
    truth = np.array([BURNING.truth(w)[0] for w in whens])
    assert float(np.linalg.norm(got.position_km - truth, axis=1).max()) * 1000 < 1.0
