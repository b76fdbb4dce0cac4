"""The dashboard's pass search, kept (issdash.model.passes.cache): searched once per set of
inputs, again when the clock jumps or the passes run out, and after a failure only at the
retry time or with new inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.sources import RawResponse
from issdash.feeds.values import Observer
from issdash.model.orbit import OrbitEngine
from issdash.model.passes.cache import (
    PASSES_RETRY,
    PASSES_REUSE_S,
    PassSearch,
    PassSearchCache,
)
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import PASS_PLANNER_DAYS, passes_between
from scripts.fixtures.ms27_payloads import TLE_TEXT

LAUNCH = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
CAPE_TOWN = Observer(latitude_deg=-33.92, longitude_deg=18.42)
BOSTON = Observer(latitude_deg=42.35843, longitude_deg=-71.05977)


@pytest.fixture(scope="module")
def engine() -> OrbitEngine:
    return OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, LAUNCH), LAUNCH))


def _pass(set_: datetime) -> Pass:
    return Pass(set_ - timedelta(minutes=6), set_ - timedelta(minutes=3), set_, 40.0, False)


def _searched(cache: PassSearchCache, engine: OrbitEngine, now: datetime) -> PassSearch:
    search = cache.due(engine, CAPE_TOWN, 10.0, now)
    assert search is not None
    return search


def test_one_search_per_inputs_and_none_while_it_runs(engine: OrbitEngine) -> None:
    cache = PassSearchCache()
    assert cache.passes is None
    search = _searched(cache, engine, LAUNCH)
    assert (search.engine, search.observer, search.now, search.min_elevation_deg) == (
        engine,
        CAPE_TOWN,
        LAUNCH,
        10.0,
    )
    # Under way: the next ticks start no second search.
    assert cache.due(engine, CAPE_TOWN, 10.0, LAUNCH + timedelta(seconds=1)) is None
    assert cache.passes is None
    later = LAUNCH + timedelta(days=3)
    cache.found((_pass(later),))
    assert cache.passes == (_pass(later),) and cache.problem is None
    assert cache.due(engine, CAPE_TOWN, 10.0, LAUNCH + timedelta(hours=1)) is None
    # New inputs: searched again at once.
    assert cache.due(engine, BOSTON, 10.0, LAUNCH + timedelta(hours=1)) is not None
    assert cache.due(engine, BOSTON, 20.0, LAUNCH + timedelta(hours=1)) is not None


def test_searched_again_after_a_jump_back_a_long_run_or_the_last_pass(
    engine: OrbitEngine,
) -> None:
    far = LAUNCH + timedelta(days=9)
    for now in (
        LAUNCH - timedelta(seconds=1),  # the clock jumped back
        LAUNCH + timedelta(seconds=PASSES_REUSE_S + 1),  # hours later
    ):
        cache = PassSearchCache()
        _searched(cache, engine, LAUNCH)
        cache.found((_pass(far),))
        # Kept for the whole reuse span...
        assert (
            cache.due(engine, CAPE_TOWN, 10.0, LAUNCH + timedelta(seconds=PASSES_REUSE_S)) is None
        )
        # ...and not beyond it, nor before the time it was found for.
        cache = PassSearchCache()
        _searched(cache, engine, LAUNCH)
        cache.found((_pass(far),))
        assert cache.due(engine, CAPE_TOWN, 10.0, now) is not None, now
    cache = PassSearchCache()
    _searched(cache, engine, LAUNCH)
    last = LAUNCH + timedelta(hours=2)
    cache.found((_pass(last),))
    assert cache.due(engine, CAPE_TOWN, 10.0, last - timedelta(seconds=1)) is None
    assert cache.due(engine, CAPE_TOWN, 10.0, last) is not None


def test_none_found_is_looked_for_again_after_ten_minutes(engine: OrbitEngine) -> None:
    cache = PassSearchCache()
    _searched(cache, engine, LAUNCH)
    cache.found((), "the pass search failed: ValueError")
    assert cache.passes == () and cache.problem == "the pass search failed: ValueError"
    assert cache.due(engine, CAPE_TOWN, 10.0, LAUNCH + timedelta(seconds=600)) is None
    assert cache.due(engine, CAPE_TOWN, 10.0, LAUNCH + timedelta(seconds=601)) is not None


def test_a_failed_search_is_retried_at_its_time_or_with_new_inputs(engine: OrbitEngine) -> None:
    cache = PassSearchCache()
    _searched(cache, engine, LAUNCH)
    failed_at = LAUNCH + timedelta(seconds=2)
    cache.failed(failed_at)
    assert cache.passes == ()
    assert cache.due(engine, CAPE_TOWN, 10.0, failed_at + PASSES_RETRY / 2) is None
    assert cache.due(engine, CAPE_TOWN, 10.0, failed_at + PASSES_RETRY) is not None
    cache = PassSearchCache()
    _searched(cache, engine, LAUNCH)
    cache.failed(failed_at)
    assert cache.due(engine, BOSTON, 10.0, failed_at + timedelta(seconds=1)) is not None


def test_no_observer_means_no_passes_without_a_search(engine: OrbitEngine) -> None:
    cache = PassSearchCache()
    assert cache.due(engine, None, 10.0, LAUNCH) is None
    assert cache.passes == ()
    assert cache.due(engine, CAPE_TOWN, 10.0, LAUNCH) is not None  # an observer is set


def test_forget_searches_again_from_the_new_time(engine: OrbitEngine) -> None:
    cache = PassSearchCache()
    _searched(cache, engine, LAUNCH)
    cache.found((_pass(LAUNCH + timedelta(days=2)),))
    cache.forget()
    assert cache.passes is None
    search = cache.due(engine, CAPE_TOWN, 10.0, LAUNCH + timedelta(minutes=5))
    assert search is not None and search.now == LAUNCH + timedelta(minutes=5)


def test_the_search_is_the_planners_ten_days(engine: OrbitEngine) -> None:
    passes, problem = PassSearch(engine, CAPE_TOWN, LAUNCH, 10.0).run()
    end = LAUNCH + timedelta(days=PASS_PLANNER_DAYS)
    assert problem is None and passes
    assert passes == tuple(passes_between(engine, CAPE_TOWN, LAUNCH, end, 10.0))


def test_a_search_that_fails_on_its_elements_is_a_problem_not_an_error() -> None:
    class Nonsense(OrbitEngine):
        """Elements that propagate to nonsense within the span (SGP4 raising)."""

        def times(self, unix_s: Any, *, coarse_nutation: bool = False) -> Any:
            raise ValueError("math domain error")

    elements = parse_elements(RawResponse("x", 200, "", TLE_TEXT, LAUNCH), LAUNCH)
    passes, problem = PassSearch(Nonsense(elements), CAPE_TOWN, LAUNCH, 10.0).run()
    assert passes == ()
    assert problem == "the pass search failed: ValueError"
