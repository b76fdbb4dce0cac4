"""One gate on size: a feed's `max_body_bytes` holds on every way its answers come in (HTTP,
file://, a replay, the cache, the bus), and the lines and files that carry answers are sized
for the largest cap. The OEM's cap is scaled down to the fixture's own size here (a body one
byte under it is taken, one byte over is refused), so no test writes 8 MB."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issdash.config.settings import load_settings
from issdash.core.bus_link import apply_entry
from issdash.core.runtime import Runtime
from issdash.feeds import bus_wire, recording_lines
from issdash.feeds.adapters.oem import Oem
from issdash.feeds.cache import FeedCache
from issdash.feeds.clock import FrozenClock
from issdash.feeds.localfiles import CACHE_MAX_BYTES, LARGEST_BODY_BYTES
from issdash.feeds.recording import Entry, RecordingWriter, load_recording
from issdash.feeds.registry import BY_NAME, FEED_NAMES, FEEDS, OEM
from issdash.feeds.replay import replay_url
from issdash.feeds.sources import DEFAULT_MAX_BODY_BYTES, RawResponse
from scripts.fixtures.orbit_feeds import oem_text
from tests.support.loopback import Reply, loopback_server

AT = datetime(2025, 4, 8, 6, 0, tzinfo=UTC)
BODY = oem_text()
SIZE = len(BODY.encode())
# Just under: the cap is the body's size; just over: one byte less.
CAPS = {"under": SIZE, "over": SIZE - 1}


@pytest.fixture(params=["under", "over"])
def cap(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(
        BY_NAME,  # type: ignore[arg-type]
        "oem",
        dataclasses.replace(OEM, max_body_bytes=CAPS[request.param]),
    )
    return str(request.param)


def only_oem(tmp_path: Path, url: str, **extra: Any) -> Runtime:
    feeds: dict[str, Any] = {n: {"enabled": False} for n in FEED_NAMES}
    feeds["oem"] = {"url": url}
    settings = load_settings(cache_dir=tmp_path / "cache", feeds=feeds, **extra)
    return Runtime(settings, FrozenClock(AT))


def assert_taken_or_refused(runtime: Runtime, cap: str) -> None:
    health = runtime.store.state.feeds["oem"]
    if cap == "under":
        assert health.last_error is None
        assert isinstance(runtime.store.state.latest(OEM).value, Oem)  # type: ignore[union-attr]
    else:
        # In the words of the way it came (a file says its path and the limit).
        error = (health.last_error or "").replace(",", "")
        assert "too large" in error and f"{SIZE} bytes" in error, health.last_error
        assert runtime.store.state.latest(OEM) is None


async def test_http(tmp_path: Path, cap: str) -> None:
    with loopback_server() as server:
        server.route("/oem", Reply(body=BODY, content_type="text/plain"))
        runtime = only_oem(tmp_path, server.url("/oem"))
        await runtime.gather_once(10.0)
        await runtime.stop()
    assert_taken_or_refused(runtime, cap)


async def test_file(tmp_path: Path, cap: str) -> None:
    path = tmp_path / "ISS.OEM_J2K_EPH.txt"
    path.write_text(BODY)
    runtime = only_oem(tmp_path, path.as_uri())
    await runtime.gather_once(10.0)
    assert_taken_or_refused(runtime, cap)


async def test_replay(tmp_path: Path, cap: str) -> None:
    out = tmp_path / "r.jsonl"
    writer = RecordingWriter(out, ["oem"], AT, "one trajectory")
    writer.write(Entry("oem", "https://example.invalid/oem", AT, 200, "text/plain", BODY))
    writer.close(AT)
    recording = load_recording(out, FEED_NAMES)
    feeds: dict[str, Any] = {n: {"enabled": False} for n in FEED_NAMES}
    feeds["oem"] = {"url": replay_url("oem")}
    settings = load_settings(cache_dir=tmp_path / "cache", feeds=feeds)
    runtime = Runtime(settings, FrozenClock(AT), mode="demo", recording=recording)
    await runtime.gather_once(10.0)
    assert_taken_or_refused(runtime, cap)


def test_cache(tmp_path: Path, cap: str) -> None:
    FeedCache(tmp_path / "cache").save(
        "oem", RawResponse("https://example.invalid/oem", 200, "text/plain", BODY, AT)
    )
    runtime = only_oem(tmp_path, "http://127.0.0.1:9/oem")
    runtime.load_fallbacks()
    state = runtime.store.state
    if cap == "under":
        assert isinstance(state.latest(OEM).value, Oem)  # type: ignore[union-attr]
    else:
        assert state.latest(OEM) is None
        assert f"cached oem discarded: body too large ({SIZE} bytes)" in state.notices
        assert not (tmp_path / "cache" / "oem.json").exists()


async def test_bus(tmp_path: Path, cap: str) -> None:
    runtime = only_oem(tmp_path, "http://127.0.0.1:9/oem")
    entry = Entry("oem", "https://example.invalid/oem", AT, 200, "text/plain", BODY)
    await apply_entry(runtime, entry)
    assert_taken_or_refused(runtime, cap)


def test_every_cap_fits_the_lines_and_files_that_carry_answers() -> None:
    """The largest cap is what cache files, recording lines and bus messages are sized for: a
    text body of that size whose every character JSON escapes (newlines, quotes) fits."""
    assert max(f.max_body_bytes for f in FEEDS) == LARGEST_BODY_BYTES == OEM.max_body_bytes
    assert all(f.max_body_bytes == DEFAULT_MAX_BODY_BYTES for f in FEEDS if f.name != "oem")
    worst = '"\n' * (LARGEST_BODY_BYTES // 2)
    line = json.dumps({"feed": "oem", "url": "u" * 2000, "body": worst}, ensure_ascii=False)
    for cap in (CACHE_MAX_BYTES, recording_lines.MAX_LINE_BYTES, bus_wire.MAX_LINE_BYTES):
        assert len(line.encode()) < cap


async def test_the_trajectory_may_be_larger_than_any_other_answer(tmp_path: Path) -> None:
    """With the shipped caps: a 2.5 MB trajectory (NASA's XML is ~3 MB) is taken; the same
    size from the crew feed is over its 2 MB."""
    padded = BODY.replace("META_STOP\n", "META_STOP\n" + "\n" * 2_500_000, 1)
    assert DEFAULT_MAX_BODY_BYTES < len(padded) < OEM.max_body_bytes
    with loopback_server() as server:
        server.route("/oem", Reply(body=padded, content_type="text/plain"))
        server.route("/crew", Reply(body='{"people": [], "pad": "' + "x" * 2_500_000 + '"}'))
        feeds: dict[str, Any] = {n: {"enabled": False} for n in FEED_NAMES}
        feeds["oem"] = {"url": server.url("/oem")}
        feeds["crew"] = {"url": server.url("/crew")}
        runtime = Runtime(load_settings(cache_dir=tmp_path / "cache", feeds=feeds), FrozenClock(AT))
        await runtime.gather_once(10.0)
        await runtime.stop()
    state = runtime.store.state
    assert state.feeds["oem"].last_error is None
    assert isinstance(state.latest(OEM).value, Oem)  # type: ignore[union-attr]
    assert (state.feeds["crew"].last_error or "").startswith("body too large")
