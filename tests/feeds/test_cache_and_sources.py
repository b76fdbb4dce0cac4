"""The disk cache and the file source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from issdash.feeds.cache import FeedCache
from issdash.feeds.clock import FrozenClock
from issdash.feeds.sources import FeedError, FileSource, RawResponse, SourceRouter

NOW = datetime(2025, 4, 8, 5, 30, tzinfo=UTC)


def test_round_trip_and_atomic_write(tmp_path: Path) -> None:
    cache = FeedCache(tmp_path / "cache")
    raw = RawResponse("https://example.invalid/gp", 200, "application/json", '[{"a": 1}]', NOW)
    cache.save("tle", raw)
    assert FeedCache(tmp_path / "cache").load("tle") == raw
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["tle.json"]  # no temp files left


@pytest.mark.parametrize("content", ["", "{not json", '{"feed": "tle"}', '"just a string"'])
def test_corrupt_cache_is_ignored_with_a_warning(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "tle.json").write_text(content)
    assert FeedCache(tmp_path).load("tle") is None
    assert "ignoring unreadable cache file" in caplog.text


def test_unwritable_cache_degrades_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    cache = FeedCache(blocker / "cache")  # its parent is a file: mkdir must fail
    raw = RawResponse("u", 200, "text/plain", "body", NOW)
    cache.save("tle", raw)
    assert cache.load("tle") == raw  # still there for this run
    assert cache.notice is not None and "memory only" in cache.notice


async def test_file_source_reads_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "iss.json"
    path.write_text('{"x": 1}')
    source = SourceRouter(None, FileSource(FrozenClock(NOW)))
    raw = await source.fetch(path.as_uri(), 1.0)
    assert raw.body == '{"x": 1}'
    assert raw.received_at == NOW
    assert raw.content_type == "application/json"
    with pytest.raises(FeedError, match="no such file"):
        await source.fetch((tmp_path / "missing.json").as_uri(), 1.0)
    with pytest.raises(FeedError, match="network sources are off"):
        await source.fetch("https://example.invalid/", 1.0)
    with pytest.raises(FeedError, match="unsupported URL scheme 'ftp'"):
        await source.fetch("ftp://example.invalid/x", 1.0)


async def test_file_source_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text("x" * 2000)
    source = FileSource(FrozenClock(NOW), max_body_bytes=1000)
    with pytest.raises(FeedError, match="too large"):
        await source.fetch(path.as_uri(), 1.0)


def test_full_disk_keeps_the_old_file_and_degrades_to_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    cache = FeedCache(tmp_path)
    old = RawResponse("u", 200, "text/plain", "old", NOW)
    cache.save("tle", old)
    notices: list[str] = []
    cache.on_notice = notices.append

    def no_space(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    new = RawResponse("u", 200, "text/plain", "new", NOW)
    cache.save("tle", new)
    assert cache.load("tle") == new  # this run keeps the newest in memory
    assert notices == ["cache not writable (No space left on device): keeping data in memory only"]
    assert [p.name for p in tmp_path.iterdir()] == ["tle.json"]  # no temp file left behind
    monkeypatch.undo()
    assert FeedCache(tmp_path).load("tle") == old  # the file on disk is whole, not half-written


def test_read_only_cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def denied(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    cache = FeedCache(tmp_path)
    cache.save("crew", RawResponse("u", 200, "", "{}", NOW))
    assert cache.notice is not None and "Permission denied" in cache.notice
    assert cache.load("crew") is not None


def test_corrupt_cache_is_replaced_by_the_next_good_fetch(tmp_path: Path) -> None:
    (tmp_path / "docked.json").write_text("\x00\x01garbage")
    assert FeedCache(tmp_path).load("docked") is None
    good = RawResponse("u", 200, "application/json", '{"spacecraft": []}', NOW)
    FeedCache(tmp_path).save("docked", good)
    assert FeedCache(tmp_path).load("docked") == good


async def test_cache_trouble_reaches_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from issdash.config.settings import load_settings
    from issdash.core.runtime import Runtime
    from scripts.fixtures.ms27_payloads import TLE_TEXT

    tle = tmp_path / "iss.tle"
    tle.write_text(TLE_TEXT)
    feeds = {
        f: {"enabled": False}
        for f in ("position", "crew", "astros", "docked", "launches", "dockings")
    }
    runtime = Runtime(
        load_settings(cache_dir=tmp_path / "c", feeds={"tle": {"url": tle.as_uri()}, **feeds}),
        FrozenClock(NOW),
    )

    def denied(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    await runtime.gather_once(2.0)
    state = runtime.store.state
    assert state.feeds["tle"].state(NOW) == "ok"  # the data is fine, only the disk is not
    assert any("cache not writable" in n for n in state.notices)
