"""What the dashboard knows (issdash.model.certainty): unknown is not none; the badge is true."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from issdash.feeds.adapters.crew import CrewReport
from issdash.feeds.adapters.schedule import Docked
from issdash.feeds.health import FeedHealth
from issdash.feeds.poller import FeedFailure, FeedUpdate
from issdash.model.certainty import all_feeds_down, feed_gap, mode_badge, trusted, unknown
from issdash.model.state import MissionState
from issdash.model.status import docked_status

AT = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)
FEEDS = ("tle", "position", "crew", "astros", "docked", "launches", "dockings")


def fresh(mode: str = "live") -> MissionState:
    feeds = {f: FeedHealth(f, True, 60, timeout_s=10).started(AT) for f in FEEDS}
    return MissionState(mode=mode).with_feeds(feeds)  # type: ignore[arg-type]


def fail(state: MissionState, *feeds: str) -> MissionState:
    for f in feeds:
        state = state.apply(FeedFailure(f, "cannot connect: no DNS answer for the host", AT, 30))
    return state


def answer(state: MissionState, *feeds: str, at: datetime = AT) -> MissionState:
    for f in feeds:
        value: object = object()
        if f == "docked":
            value = Docked(vehicles=())
        elif f in ("crew", "astros"):
            value = CrewReport(source="open-notify", people=())
        state = state.apply(FeedUpdate(f, value, at))
    return state


def test_why_a_feed_gives_nothing_usable() -> None:
    state = fresh()
    assert feed_gap(state, "docked", AT).words == "docked: no answer yet"  # type: ignore[union-attr]
    state = fail(state, "docked")
    gap = feed_gap(state, "docked", AT)
    assert gap is not None and gap.words == "docked: cannot connect: no DNS answer for the host"
    old = answer(fresh(), "docked", at=AT - timedelta(days=3))
    gap = feed_gap(old, "docked", AT)
    assert gap is not None and gap.words == "docked: last answer 3d 00h old"
    assert feed_gap(answer(fresh(), "docked"), "docked", AT) is None
    off = MissionState().with_feeds({"docked": FeedHealth("docked", False, 60)})
    gap = feed_gap(off, "docked", AT)
    assert gap is not None and gap.words == "docked feed off"


@given(ahead_s=st.floats(min_value=-7 * 86400, max_value=30 * 86400))
def test_an_answer_received_after_the_time_described_is_never_trusted(ahead_s: float) -> None:
    """A negative age is not fresh: an answer received after `now` (a clock stepped back,
    `status --at` before a cached answer) describes no part of now; within the stated skew
    (two minutes) it is taken as now."""
    state = answer(fresh(), "docked", at=AT + timedelta(seconds=ahead_s))
    gap = feed_gap(state, "docked", AT)
    if ahead_s > 120:
        assert gap is not None and gap.why == "from later"
        assert gap.words.startswith("docked: last answer received ")
        assert gap.words.endswith(" after this time")
        assert unknown(state, "docked", AT) is not None
        assert "docked" not in trusted(state, AT).received
    elif ahead_s >= -120:
        assert gap is None  # a fresh answer, however the clocks differ within the skew
    else:
        assert gap is None or gap.why == "too old"  # an ordinary past answer, by its age


def test_an_empty_docked_list_is_known_a_missing_one_is_not() -> None:
    assert docked_status(answer(fresh(), "docked"), AT) == []
    assert docked_status(fail(fresh(), "docked"), AT) is None
    old = answer(fresh(), "docked", at=AT - timedelta(days=2))
    assert docked_status(old, AT) is None
    assert trusted(old, AT).docked is None  # nothing is built from it


def test_crew_is_known_from_either_source() -> None:
    state = fail(fresh(), "crew", "astros")
    missing = unknown(state, "crew", AT)
    assert missing is not None and missing.notice.startswith("crew not known (crew: cannot")
    assert unknown(answer(fail(fresh(), "crew"), "astros"), "crew", AT) is None


def test_badge() -> None:
    state = fresh()
    assert mode_badge(state, AT).label == "CONNECTING"
    state = answer(state, *FEEDS)
    assert (mode_badge(state, AT).label, mode_badge(state, AT).level) == ("LIVE", "live")
    state = fail(state, "crew", "astros")
    assert (mode_badge(state, AT).label, mode_badge(state, AT).level) == (
        "LIVE · 2 down",
        "degraded",
    )
    state = fail(state, *FEEDS)
    badge = mode_badge(state, AT)
    assert (badge.label, badge.level) == ("OFFLINE", "offline")
    assert badge.hint == ""  # it has had answers: the banner says how old they are
    nothing = fail(fresh(), *FEEDS)
    assert mode_badge(nothing, AT).hint == "nothing received · try issdash --demo"
    assert mode_badge(fresh("demo"), AT).label == "REPLAY"


def test_a_feed_never_asked_counts_as_down_once_its_first_answer_is_overdue() -> None:
    state = fail(fresh(), *(f for f in FEEDS if f != "dockings"))  # dockings still queued
    assert not all_feeds_down(state, AT + timedelta(seconds=10)).all_down
    assert mode_badge(state, AT + timedelta(seconds=10)).label == "CONNECTING · 6 down"
    later = AT + timedelta(seconds=16)  # 10 s deadline + 5 s grace
    assert all_feeds_down(state, later).all_down
    assert mode_badge(state, later).label == "OFFLINE"


HEALTH = st.sampled_from(["ok", "failing", "waiting", "overdue", "old", "off"])


def _feed(name: str, kind: str) -> FeedHealth:
    health = FeedHealth(name, kind != "off", 60, timeout_s=10).started(AT - timedelta(seconds=5))
    if kind == "ok":
        return health.succeeded(AT)
    if kind == "failing":
        return health.failed(AT, "HTTP 503", 60)
    if kind == "overdue":
        return FeedHealth(name, True, 60, timeout_s=10).started(AT - timedelta(minutes=5))
    if kind == "old":
        return health.succeeded(AT - timedelta(hours=1))  # past 3 intervals, silent
    return health


@given(st.lists(HEALTH, min_size=1, max_size=7))
def test_the_badge_says_live_only_while_every_feed_answers(kinds: list[str]) -> None:
    feeds = {f"f{i}": _feed(f"f{i}", k) for i, k in enumerate(kinds)}
    badge = mode_badge(MissionState().with_feeds(feeds), AT)
    enabled = [k for k in kinds if k != "off"]
    # A feed not asked yet (a rate limit's queue) neither makes nor breaks LIVE.
    down = sum(k in ("failing", "old") for k in enabled)
    assert (badge.label == "LIVE") == ("ok" in enabled and down == 0)
    assert badge.label.startswith("LIVE") == ("ok" in enabled)
    if badge.label.startswith("LIVE ·"):
        assert badge.label == f"LIVE · {down} down" and badge.level == "degraded"
    if badge.label == "OFFLINE":
        assert badge.level == "offline" and "ok" not in enabled and "waiting" not in enabled
