"""The disk cache and the file source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.cache import FeedCache
from feeds.clock import FrozenClock
from feeds.sources import FeedError, FileSource, RawResponse, SourceRouter

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
