""" "Retry feeds now" (issue 24, case 8): in live mode the key R and the palette command ask
every feed that is down again at once, with a toast saying what was done; in a replay they
say there is nothing to retry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from issdash.feeds.poller import Recovery
from issdash.tui.dashboard import IssDashApp
from scripts.fixtures.ms27_payloads import ISS_CREW_BEFORE_MS27, corquaid_people
from tests.support.dashboards import demo_app, file_feeds_app

AT = datetime(2025, 4, 8, 6, 30, tzinfo=UTC)


def capture_toasts(app: IssDashApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: said.append(str(message)))
    return said


async def wait_until(pilot: Pilot[None], done: object, seconds: float) -> bool:
    assert callable(done)
    for _ in range(int(seconds / 0.05)):
        if done():
            return True
        await pilot.pause(0.05)
    return bool(done())


async def test_r_makes_a_feed_that_is_down_ask_again_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = file_feeds_app(tmp_path, AT, crew=corquaid_people(ISS_CREW_BEFORE_MS27))
    crew_file = tmp_path / "crew.json"
    body = crew_file.read_text()
    crew_file.unlink()  # the source is away when the dashboard starts
    said = capture_toasts(app, monkeypatch)
    feeds = app.runtime.store
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: feeds.state.feeds["crew"].failing, 10.0)
        crew_file.write_text(body)  # it is back
        await pilot.press("R")
        # Its own next try is a probe 15 s away (and its back-off half an hour): an answer
        # within 5 s is the key's doing.
        assert await wait_until(
            pilot, lambda: feeds.state.feeds["crew"].last_success_at is not None, 5.0
        )
        assert Recovery.PROBE_EVERY_S > 5.0
        assert not feeds.state.feeds["crew"].failing
        assert said == ["Retrying now: crew."]
        # Nothing is down any more: the key says so and asks nobody.
        polls = app.runtime.pollers["crew"].polls
        await pilot.press("R")
        await pilot.pause()
        assert said[-1] == "No feed is down: nothing to retry."
        assert app.runtime.pollers["crew"].polls == polls


async def test_the_palette_offers_retry_in_live_mode_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = file_feeds_app(tmp_path, AT, crew=corquaid_people(ISS_CREW_BEFORE_MS27))
    said = capture_toasts(live, monkeypatch)
    async with live.run_test(size=(120, 40)) as pilot:
        store = live.runtime.store
        assert await wait_until(pilot, lambda: not store.state.feeds["crew"].waiting, 10.0)
        retry = [c for c in live.get_system_commands(live.screen) if c.title == "Feeds: retry now"]
        assert len(retry) == 1
        retry[0].callback()  # what choosing it in the palette does: the key's action
        assert said == ["No feed is down: nothing to retry."]
    replay = demo_app()
    async with replay.run_test(size=(120, 40)):
        titles = [c.title for c in replay.get_system_commands(replay.screen)]
        assert "Feeds: retry now" not in titles


async def test_in_a_replay_r_says_there_is_nothing_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = demo_app()
    said = capture_toasts(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert said == ["Replay: the feeds come from the recording; there is nothing to retry."]
