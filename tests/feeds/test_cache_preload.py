"""The cache's start-up read where an event loop runs: off the loop, each file within a
deadline, and the same gate and checks as the read without a loop."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

import issdash.feeds.cache as cache_module
from issdash.feeds.cache import FeedCache
from issdash.feeds.localfiles import run_off_loop
from issdash.feeds.sources import RawResponse

NOW = datetime(2025, 4, 8, 5, 30, tzinfo=UTC)
RAW = RawResponse("https://example.invalid/gp", 200, "application/json", '[{"a": 1}]', NOW)


async def test_preloaded_answers_come_from_memory(tmp_path: Path) -> None:
    FeedCache(tmp_path).save("tle", RAW)
    cache = FeedCache(tmp_path)
    await cache.preload(["tle", "crew"])
    (tmp_path / "tle.json").unlink()  # `load` no longer touches the file system
    assert cache.load("tle") == RAW
    assert cache.load("crew") is None


async def test_preload_sets_aside_what_the_gate_refuses(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "crew.json")  # a FIFO never answers: refused, not waited for
    (tmp_path / "tle.json").write_text("{not json")
    cache = FeedCache(tmp_path)
    await cache.preload(["crew", "tle"])
    assert cache.load("crew") is None and cache.load("tle") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crew.json.bad", "tle.json.bad"]
    assert cache.notice is not None and "unusable" in cache.notice


async def test_a_file_system_that_never_answers_is_given_up_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FeedCache(tmp_path).save("tle", RAW)
    release = threading.Event()

    def stuck_read(path: Path, what: str, max_bytes: int) -> bytes:
        release.wait(30)  # a read held by a dead mount (released at the end of the test)
        return b""

    monkeypatch.setattr(cache_module, "read_bounded", stuck_read)
    cache = FeedCache(tmp_path)
    ticks = 0

    async def loop_runs() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(loop_runs())
    try:
        await cache.preload(["tle"], timeout_s=0.3)
    finally:
        beat.cancel()
        release.set()
    assert ticks > 0  # the event loop kept running while the read was stuck
    assert cache.notice == "cache file tle.json not read within 0.3 s: not used"
    assert cache.load("tle") is None  # not read again in this run, and not set aside
    assert (tmp_path / "tle.json").exists()


async def test_run_off_loop_gives_the_result_the_exception_or_the_deadline() -> None:
    assert await run_off_loop(lambda: 42, "x", 5.0) == 42
    with pytest.raises(ZeroDivisionError):
        await run_off_loop(lambda: 1 // 0, "x", 5.0)
    gate = threading.Event()
    try:
        with pytest.raises(TimeoutError):
            await run_off_loop(lambda: gate.wait(30), "x", 0.05)
    finally:
        gate.set()
