"""Recordings of feed responses: the format, a tolerant loader and a writer.

A recording is JSON Lines (optionally gzip-compressed): a header line, then one line per
response in time order. Failed polls are recorded too, so a replay reproduces outages. A
recording holds what a server answered (status, content type, body) and never what we sent
(no request headers, no credentials: user info and secret-looking query parameters are removed
from URLs before they are written).

    {"format": "issdash-recording", "version": 1, "feeds": ["tle", ...],
     "start": "2025-04-08T04:30:00Z", "end": "2025-04-08T13:00:00Z", "description": "..."}
    {"feed": "tle", "url": "https://...", "received_at": "2025-04-08T04:30:00Z",
     "status": 200, "content_type": "application/json", "body": "[...]"}
    {"feed": "position", "url": "https://...", "received_at": "...", "status": 503,
     "error": "HTTP 503 Service Unavailable"}
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tempfile
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from feeds.clock import Clock, iso_z, parse_iso_utc
from feeds.sources import FeedError, RawResponse, Source
from feeds.text import clean_text

FORMAT = "issdash-recording"
VERSION = 1
SECRET_PARAMS = ("key", "token", "secret", "password", "passwd", "auth", "signature", "sig")


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded answer: a response (`body`) or a failure (`error`)."""

    feed: str
    url: str
    received_at: datetime
    status: int | None
    content_type: str = ""
    body: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "feed": self.feed,
            "url": self.url,
            "received_at": iso_z_ms(self.received_at),
            "status": self.status,
        }
        if self.error is not None:
            line["error"] = self.error
        else:
            line["content_type"] = self.content_type
            line["body"] = self.body or ""
        return line


@dataclass
class Recording:
    """A loaded recording: entries per feed in time order, and what was skipped and why."""

    start: datetime
    end: datetime
    description: str
    feeds: tuple[str, ...]
    entries: dict[str, list[Entry]]
    problems: list[str] = field(default_factory=list)
    path: Path | None = None
    title: str = "recording"

    def cadence_s(self, feed: str) -> float | None:
        """The usual gap between this feed's recorded answers (the median)."""
        times = [e.received_at for e in self.entries.get(feed, [])]
        gaps = sorted((b - a).total_seconds() for a, b in pairwise(times))
        return gaps[len(gaps) // 2] if gaps else None

    def next_after(self, feed: str, at: datetime) -> Entry | None:
        """The first entry for `feed` received after `at`."""
        entries = self.entries.get(feed, [])
        index = bisect_right(entries, at, key=lambda e: e.received_at)
        return entries[index] if index < len(entries) else None

    def latest(self, feed: str, at: datetime) -> Entry | None:
        """The last entry for `feed` received at or before `at`."""
        entries = self.entries.get(feed, [])
        index = bisect_right(entries, at, key=lambda e: e.received_at)
        return entries[index - 1] if index else None


class RecordingError(Exception):
    """The file is not a recording at all (no usable header)."""


def iso_z_ms(value: datetime) -> str:
    """ISO UTC with milliseconds: recordings keep sub-second order."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return f"{text}Z" if value.microsecond else f"{iso_z(value)}"


def scrub_url(url: str) -> str:
    """The URL without user info or secret-looking query parameters."""
    parts = urlparse(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not any(s in k.lower() for s in SECRET_PARAMS)
    ]
    return urlunparse(
        parts._replace(
            netloc=netloc if parts.scheme != "file" else parts.netloc, query=urlencode(query)
        )
    )


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def load_recording(path: Path, known_feeds: Iterable[str]) -> Recording:
    """Load what is valid; every skipped line is reported with its number and the reason."""
    known = set(known_feeds)
    problems: list[str] = []
    entries: dict[str, list[Entry]] = {}
    header: dict[str, Any] | None = None
    try:
        handle = _open_text(path)
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from None
    lines: list[tuple[int, str]] = []
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                lines.append((number, line))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            # A truncated gzip stream: keep the lines read so far.
            problems.append(
                f"file ends early after line {len(lines)} ({exc}); loaded what came before"
            )
    for number, line in lines:
        text = line.strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            last = number == lines[-1][0]
            problems.append(
                f"line {number}: {'truncated last line' if last else 'not valid JSON'}, skipped"
            )
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: not a JSON object, skipped")
            continue
        if header is None:
            if data.get("format") != FORMAT:
                raise RecordingError(f"{path}: line {number} is not an {FORMAT} header")
            if data.get("version") != VERSION:
                raise RecordingError(
                    f"{path}: format version {data.get('version')!r}, expected {VERSION}"
                )
            header = data
            continue
        problem = _add_entry(data, number, known, entries)
        if problem:
            problems.append(problem)
    if header is None:
        raise RecordingError(f"{path}: empty, no header")
    all_times = [e.received_at for es in entries.values() for e in es]
    try:
        start = parse_iso_utc(str(header["start"])) if header.get("start") else min(all_times)
        end = parse_iso_utc(str(header["end"])) if header.get("end") else max(all_times)
    except (ValueError, KeyError):
        raise RecordingError(f"{path}: the header has no usable start and end") from None
    return Recording(
        start=start,
        end=end,
        description=str(header.get("description", "")),
        feeds=tuple(sorted(entries)),
        entries=entries,
        problems=problems,
        path=path,
        title=clean_text(header.get("title") or header.get("description") or path.name, 60),
    )


def entry_from_json(data: dict[str, Any], known: set[str]) -> tuple[Entry | None, str | None]:
    """One entry from its JSON form (a recording line, a bus message), or why not."""
    entries: dict[str, list[Entry]] = {}
    problem = _add_entry(data, 0, known, entries)
    found = [e for es in entries.values() for e in es]
    return (found[0] if found else None), problem


def _add_entry(
    data: dict[str, Any], number: int, known: set[str], entries: dict[str, list[Entry]]
) -> str | None:
    feed = data.get("feed")
    if feed not in known:
        return f"line {number}: unknown feed {str(feed)[:30]!r}, skipped"
    try:
        received_at = parse_iso_utc(str(data["received_at"]))
        status = data.get("status")
        entry = Entry(
            feed=str(feed),
            url=str(data.get("url", "")),
            received_at=received_at,
            status=int(status) if status is not None else None,
            content_type=str(data.get("content_type", "")),
            body=str(data["body"]) if "body" in data and data.get("error") is None else None,
            error=str(data["error"]) if data.get("error") is not None else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        return f"line {number}: bad entry ({type(exc).__name__}: {exc}), skipped"
    if entry.body is None and entry.error is None:
        return f"line {number}: neither body nor error, skipped"
    feed_entries = entries.setdefault(entry.feed, [])
    if feed_entries and entry.received_at < feed_entries[-1].received_at:
        return f"line {number}: {entry.feed} time {iso_z(received_at)} goes back in time, skipped"
    feed_entries.append(entry)
    return None


class RecordingWriter:
    """Appends entries as they arrive; `close()` writes the final file with its end time.

    Entries go to a working file beside the target as they come, so a recording that is
    interrupted still holds everything received so far; closing rewrites it once with the
    header's end time filled in (gzip-compressed when the name ends in .gz).
    """

    def __init__(
        self, path: Path, feeds: Iterable[str], start: datetime, description: str, title: str = ""
    ) -> None:
        self.path = path
        self.title = title
        self.feeds = tuple(feeds)
        self.start = start
        self.description = description
        self.count = 0
        self._last: datetime | None = None
        self._work = path.with_name(path.name + ".part")
        self._handle = self._work.open("w", encoding="utf-8")
        self._write_line(self._header(end=None))

    def _header(self, end: datetime | None) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "feeds": list(self.feeds),
            "start": iso_z(self.start),
            "end": iso_z(end) if end else None,
            "title": self.title,
            "description": self.description,
        }

    def _write_line(self, data: dict[str, Any]) -> None:
        self._handle.write(json.dumps(data, ensure_ascii=False) + "\n")
        self._handle.flush()

    def write(self, entry: Entry) -> None:
        self._write_line(entry.to_json())
        self.count += 1
        self._last = entry.received_at if self._last is None else max(self._last, entry.received_at)

    def close(self, end: datetime | None = None) -> Path:
        self._handle.close()
        end = end or self._last or self.start
        fd, tmp = tempfile.mkstemp(prefix=".recording.", dir=self.path.parent)
        os.close(fd)
        opener = gzip.open if self.path.suffix == ".gz" else open
        try:
            with (
                self._work.open("r", encoding="utf-8") as src,
                opener(tmp, "wt", encoding="utf-8") as dst,
            ):
                src.readline()  # the provisional header
                dst.write(json.dumps(self._header(end), ensure_ascii=False) + "\n")
                for line in src:
                    dst.write(line)
            os.replace(tmp, self.path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        self._work.unlink(missing_ok=True)
        return self.path


class EntrySink(Protocol):
    """Where answers go as they are received: a recording file, or the answer bus."""

    def write(self, entry: Entry) -> None: ...


class RecordingSource:
    """Wraps a source and writes every answer it gives one feed, failures included."""

    def __init__(self, inner: Source, feed: str, writer: EntrySink, clock: Clock) -> None:
        self._inner = inner
        self._feed = feed
        self._writer = writer
        self._clock = clock

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        try:
            raw = await self._inner.fetch(url, timeout_s)
        except FeedError as exc:
            self._writer.write(
                Entry(self._feed, scrub_url(url), self._clock.now(), exc.status, error=exc.reason)
            )
            raise
        self._writer.write(
            Entry(
                self._feed, scrub_url(url), raw.received_at, raw.status, raw.content_type, raw.body
            )
        )
        return raw
