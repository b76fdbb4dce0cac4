"""The replay clock's sleep: one real wait as long as the mission time left, cut short when the
clock is set or its speed changes (it used to look every second, waking every replayed poller
each second of an idle dashboard)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issdash.feeds.clock import ScaledClock

START = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)


async def _settle() -> None:
    """Let the other tasks run a few turns of the loop (no real time passes on purpose)."""
    for _ in range(5):
        await asyncio.sleep(0)


def _spy_timers(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays of the timers armed on the running loop from now on."""
    loop = asyncio.get_running_loop()
    armed: list[float] = []
    real: Callable[..., asyncio.TimerHandle] = loop.call_later

    def call_later(delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        armed.append(delay)
        return real(delay, callback, *args)

    monkeypatch.setattr(loop, "call_later", call_later)
    return armed


async def test_an_hour_at_1x_is_one_wait_of_an_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ScaledClock(START, 1)
    armed = _spy_timers(monkeypatch)
    sleeping = asyncio.create_task(clock.sleep(3600))
    await _settle()
    assert len(armed) == 1 and armed[0] == pytest.approx(3600, abs=1)
    assert not sleeping.done()
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping


async def test_a_paused_sleep_arms_no_timer_and_a_jump_past_it_ends_it_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ScaledClock(START, 0)
    armed = _spy_timers(monkeypatch)
    sleeping = asyncio.create_task(clock.sleep(60))
    await _settle()
    assert armed == [] and not sleeping.done()
    clock.set(START + timedelta(seconds=61))
    await _settle()
    assert sleeping.done()


async def test_a_speed_change_measures_the_rest_again_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ScaledClock(START, 1)
    armed = _spy_timers(monkeypatch)
    sleeping = asyncio.create_task(clock.sleep(600))
    await _settle()
    clock.set_speed(100)
    await _settle()
    # The 600 s left at 100x are 6 s of real time, waited in one go.
    assert len(armed) == 2 and armed[1] == pytest.approx(6, abs=0.1)
    clock.set_speed(0)
    await _settle()
    assert len(armed) == 2 and not sleeping.done()
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping


async def test_set_back_it_still_waits_no_longer_than_asked() -> None:
    clock = ScaledClock(START, 1)
    sleeping = asyncio.create_task(clock.sleep(0.05))
    await _settle()
    clock.set(START - timedelta(days=1))
    await asyncio.wait_for(sleeping, timeout=30)


async def test_it_ends_when_the_mission_time_has_passed() -> None:
    clock = ScaledClock(START, 1000)
    await asyncio.wait_for(clock.sleep(20), timeout=30)
    assert clock.now() >= START + timedelta(seconds=20)
