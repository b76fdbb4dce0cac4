"""Position and velocity at any time inside a published trajectory (NASA's OEM), by
interpolation between its states; outside the span, or inside a gap, there is no answer
(None): a trajectory is never extrapolated.

How windows are chosen. The states are cut into arcs, runs of states along which the motion is
smooth, and a window never leaves its arc:

- a *burn*: a summary event with a delta-v starts a new arc at its ignition (NASA writes a
  state there); one between two states leaves that interval without an answer;
- an *abrupt change of step*: where one step is more than `STEP_RATIO` times the one before
  or after it (240 s then 2 s: the burn block NASA writes even when no event names it), the
  state between them ends one arc and starts the next (the state itself is continuous, its
  acceleration is not);
- a *gap*: a step longer than `MAX_STEP_S`, or the start of another segment, is no arc at all.

Two methods, both on the states of the arc nearest in time (centred where the arc allows):
Hermite (the default) fits positions and velocities of `HERMITE_STATES` states (degree 7);
Lagrange (`method="lagrange"`) fits the positions, and separately the velocities, of `WINDOW`
states (order 8), and falls back to Hermite in an arc shorter than that (a 1-s or 49-s step
where the 4-min grid was realigned at an event). An arc of two states gets a cubic. Exactly at
a state, the state is returned as published.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt

from issdash.feeds.adapters.oem import Oem, StateVector
from issdash.feeds.clock import ensure_utc

WINDOW = 9  # states per Lagrange window: order 8
# States (positions and velocities) per Hermite window: four give degree 7. On NASA's two
# sample files, every state left out in turn and interpolated from the others (an 8-min hole)
# came back within 0.24 m (median; 99 % within 0.86 m; max 6.2 m, where the window is
# one-sided at the end of an arc) by Hermite on four, against 1.17 m (99 % within 3.3 m, max
# 43 m) by Lagrange on nine; five or six states were no better (the published states seem
# smooth to about 0.2 m only). Between states on the 4-min grid, errors are far smaller.
HERMITE_STATES = 4
# A step this many times longer or shorter than its neighbour starts a new arc: 240 s to
# 60 s before a burn block (4x) is cut, while the realigned steps after an event (100 s,
# 181 s between 240 s steps) are ordinary uneven nodes that Lagrange handles well.
STEP_RATIO = 3.5
# NASA's grid is 4 minutes; a step over twice that is missing data, not a step.
MAX_STEP_S = 600.0
# A burn this close to a state is at that state (NASA writes the ignition as a state).
_AT_STATE_S = 1e-3

Vector = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TrajectoryState:
    """Interpolated EME2000 position (km) and velocity (km/s)."""

    position_km: tuple[float, float, float]
    velocity_km_s: tuple[float, float, float]


class Trajectory:
    """States at strictly increasing epochs, with the times where the motion breaks."""

    def __init__(
        self,
        states: Sequence[StateVector],
        breaks: Iterable[datetime] = (),
        method: Literal["hermite", "lagrange"] = "hermite",
    ) -> None:
        self.method = method
        if len(states) < 2:
            raise ValueError("a trajectory needs at least two states")
        self._t0 = ensure_utc(states[0].epoch)
        times = [(ensure_utc(s.epoch) - self._t0).total_seconds() for s in states]
        if any(b <= a for a, b in pairwise(times)):
            raise ValueError("state epochs must be strictly increasing")
        self._times = times
        self._positions: Vector = np.array([(s.x_km, s.y_km, s.z_km) for s in states])
        self._velocities: Vector = np.array([(s.vx_km_s, s.vy_km_s, s.vz_km_s) for s in states])
        self._stop = ensure_utc(states[-1].epoch)
        # _arc_of[i]: the arc (first, last state index) that interval i (states i, i+1)
        # belongs to, or None where it is a gap.
        self._arc_of = self._arcs([(ensure_utc(b) - self._t0).total_seconds() for b in breaks])
        self._hermite_table: _HermiteTable | None = None

    @classmethod
    def from_oem(cls, oem: Oem) -> Trajectory:
        """Breaks at every burn of the summary and at the start of every segment after the
        first."""
        burns = [e.ignition for e in oem.events if e.delta_v_m_s > 0]
        return cls(oem.states, [*burns, *oem.segment_starts])

    @property
    def start(self) -> datetime:
        return self._t0

    @property
    def stop(self) -> datetime:
        return self._stop

    def _arcs(self, breaks: list[float]) -> list[tuple[int, int] | None]:
        times = self._times
        count = len(times)
        steps = [b - a for a, b in pairwise(times)]
        gap = [step > MAX_STEP_S for step in steps]
        # cut_at[i]: state i ends one arc and starts the next.
        cut_at = [False] * count
        for i in range(1, count - 1):
            longer, shorter = max(steps[i - 1], steps[i]), min(steps[i - 1], steps[i])
            if longer > STEP_RATIO * shorter:
                cut_at[i] = True
        for moment in breaks:
            i = bisect.bisect_left(times, moment - _AT_STATE_S)
            if i < count and abs(times[i] - moment) <= _AT_STATE_S:
                cut_at[i] = True
            elif 0 < i < count:  # between two states: that interval has no honest answer
                gap[i - 1] = True
        arc_of: list[tuple[int, int] | None] = [None] * (count - 1)
        first = 0
        for i in range(count - 1):
            if gap[i]:
                first = i + 1
                continue
            if i + 1 == count - 1 or cut_at[i + 1] or gap[i + 1]:
                for j in range(first, i + 1):
                    arc_of[j] = (first, i + 1)
                first = i + 1
        return arc_of

    def state_at(self, when: datetime) -> TrajectoryState | None:
        """The interpolated state at `when`, or None outside the span or inside a gap."""
        t = (ensure_utc(when) - self._t0) / timedelta(seconds=1)
        times = self._times
        if not times[0] <= t <= times[-1]:
            return None
        i = bisect.bisect_right(times, t) - 1
        if times[i] == t:
            return _state(self._positions[i], self._velocities[i])
        arc = self._arc_of[i]
        if arc is None:
            return None
        first, last = arc
        if self.method == "hermite" or last - first + 1 < WINDOW:
            return self._hermite(i, t, first, last)
        lo = min(max(i - (WINDOW // 2 - 1), first), last - WINDOW + 1)
        nodes = np.array(times[lo : lo + WINDOW])
        weights = _lagrange_weights(nodes, t)
        return _state(
            weights @ self._positions[lo : lo + WINDOW],
            weights @ self._velocities[lo : lo + WINDOW],
        )

    def states_at(self, unix_s: npt.ArrayLike) -> TrajectoryStates:
        """Positions and velocities at many unix times at once (the pass finder and the map
        ask for thousands): the same arcs, windows and numbers as `state_at` (to rounding),
        with `valid` False (and NaN) outside the span and in gaps.

        The first call solves every interval's polynomial once (about 10 ms for a 15-day
        file); after that a call costs a few microseconds per time."""
        return _states_at(self, unix_s)

    def _table(self) -> _HermiteTable:
        if self._hermite_table is None:
            self._hermite_table = _HermiteTable(self)
        return self._hermite_table

    def _hermite(self, i: int, t: float, first: int, last: int) -> TrajectoryState:
        count = min(HERMITE_STATES, last - first + 1)
        lo = min(max(i - (count // 2 - 1), first), last - count + 1)
        nodes = np.array(self._times[lo : lo + count])
        return _hermite(
            nodes, self._positions[lo : lo + count], self._velocities[lo : lo + count], t
        )


def _hermite(nodes: Vector, positions: Vector, velocities: Vector, t: float) -> TrajectoryState:
    """The polynomial of degree 2n-1 through n positions and their n velocities, at `t`.

    Solved as a confluent Vandermonde system on times centred and scaled to the window (at most
    10 unknowns, well conditioned there)."""
    centre = nodes.mean()
    scale = max(float(nodes[-1] - nodes[0]) / 2, 1.0)
    x = (nodes - centre) / scale
    degree = 2 * len(x)
    powers = np.arange(degree)
    values = x[:, None] ** powers
    slopes = powers * np.where(powers > 0, x[:, None] ** np.maximum(powers - 1, 0), 0.0)
    system = np.vstack([values, slopes])
    coefficients = np.linalg.solve(system, np.vstack([positions, velocities * scale]))
    u = (t - centre) / scale
    position = (u**powers) @ coefficients
    slope = (powers * np.where(powers > 0, u ** np.maximum(powers - 1, 0), 0.0)) @ coefficients
    return _state(position, slope / scale)


def _lagrange_weights(nodes: Vector, t: float) -> Vector:
    """Lagrange basis values at `t` (t is not a node). Times are centred and scaled to the
    window first, so the products stay near 1 whatever the step."""
    centre, scale = nodes.mean(), (nodes[-1] - nodes[0]) / 2
    x, u = (nodes - centre) / scale, (t - centre) / scale
    differences = x[:, None] - x[None, :]
    np.fill_diagonal(differences, 1.0)
    denominators = differences.prod(axis=1)
    offsets = u - x
    numerators = np.array([np.prod(np.delete(offsets, j)) for j in range(len(x))])
    weights: Vector = numerators / denominators
    return weights


def _state(position: Vector, velocity: Vector) -> TrajectoryState:
    px, py, pz = (float(v) for v in position)
    vx, vy, vz = (float(v) for v in velocity)
    return TrajectoryState((px, py, pz), (vx, vy, vz))


@dataclass(frozen=True, slots=True)
class TrajectoryStates:
    """States at many times at once: `position_km` and `velocity_km_s` are (N, 3) EME2000,
    `valid` (N,) says where there is an answer (NaN rows elsewhere: outside the span, in a
    gap)."""

    position_km: Vector
    velocity_km_s: Vector
    valid: npt.NDArray[np.bool_]


class _HermiteTable:
    """Every interval's Hermite polynomial, solved once (one batched solve for the whole
    file), so evaluating thousands of times is a gather and a polynomial, no Python loop.

    Interval i uses exactly the window `Trajectory._hermite` uses there, with the same centred
    and scaled variable, so both give the same numbers (to rounding)."""

    def __init__(self, trajectory: Trajectory) -> None:
        times = np.asarray(trajectory._times, dtype=np.float64)
        intervals = len(times) - 1
        degree = 2 * HERMITE_STATES
        self.usable = np.zeros(intervals, dtype=bool)
        self.centre = np.zeros(intervals)
        self.scale = np.ones(intervals)
        # (interval, power, xyz + velocity-xyz) in the scaled variable.
        self.coefficients = np.zeros((intervals, degree, 6))
        windows: dict[int, list[tuple[int, int]]] = {}
        for i, arc in enumerate(trajectory._arc_of):
            if arc is None:
                continue
            first, last = arc
            count = min(HERMITE_STATES, last - first + 1)
            lo = min(max(i - (count // 2 - 1), first), last - count + 1)
            windows.setdefault(count, []).append((i, lo))
        for count, members in windows.items():
            index = np.array([i for i, _ in members])
            starts = np.array([start for _, start in members])
            rows = starts[:, None] + np.arange(count)[None, :]
            nodes = times[rows]
            centre = nodes.mean(axis=1)
            scale = np.maximum((nodes[:, -1] - nodes[:, 0]) / 2, 1.0)
            x = (nodes - centre[:, None]) / scale[:, None]
            powers = np.arange(2 * count)
            values = x[:, :, None] ** powers
            slopes = powers * np.where(powers > 0, x[:, :, None] ** np.maximum(powers - 1, 0), 0.0)
            system = np.concatenate([values, slopes], axis=1)
            positions = trajectory._positions[rows]
            velocities = trajectory._velocities[rows] * scale[:, None, None]
            rhs = np.concatenate([positions, velocities], axis=1)
            solved = np.linalg.solve(system, rhs)  # (members, 2*count, 3)
            self.coefficients[index, : 2 * count, :3] = solved
            # The velocity's polynomial: the derivative, in the same variable.
            derivative = solved[:, 1:, :] * powers[1:, None]
            self.coefficients[index, : 2 * count - 1, 3:] = derivative / scale[:, None, None]
            self.centre[index] = centre
            self.scale[index] = scale
            self.usable[index] = True


def _states_at(trajectory: Trajectory, unix_s: npt.ArrayLike) -> TrajectoryStates:
    times = np.asarray(trajectory._times, dtype=np.float64)
    t = np.atleast_1d(np.asarray(unix_s, dtype=np.float64)) - trajectory._t0.timestamp()
    out = np.full((t.size, 6), np.nan)
    with np.errstate(invalid="ignore"):
        inside = (t >= times[0]) & (t <= times[-1])
    state = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 1)
    exact = inside & (times[state] == t)
    interval = np.minimum(state, len(times) - 2)
    if trajectory.method == "lagrange":
        # Not the default, and not asked for thousands at once: the scalar path, per time.
        for k in np.flatnonzero(inside & ~exact):
            when = trajectory._t0 + timedelta(seconds=float(t[k]))
            got = trajectory.state_at(when)
            if got is not None:
                out[k] = (*got.position_km, *got.velocity_km_s)
    else:
        table = trajectory._table()
        wanted = inside & ~exact & table.usable[interval]
        rows = interval[wanted]
        u = (t[wanted] - table.centre[rows]) / table.scale[rows]
        powers = u[:, None] ** np.arange(table.coefficients.shape[1])[None, :]
        out[wanted] = np.einsum("np,npk->nk", powers, table.coefficients[rows])
    # Exactly at a state, the state as published (as `state_at` does).
    out[exact, :3] = trajectory._positions[state[exact]]
    out[exact, 3:] = trajectory._velocities[state[exact]]
    valid = ~np.isnan(out[:, 0])
    return TrajectoryStates(out[:, :3], out[:, 3:], valid)
