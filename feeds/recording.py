"""Recordings of feed responses: the format, a tolerant loader and a writer.

Loading indexes the file (feeds/recording_index.py) and reads it a window at a time: a
recording of any size up to its cap costs about 20 bytes a line held, not the file.

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

Streamed feeds (ISSLIVE telemetry) are not polled: each update is one line with the item and
its fields exactly as the server sent them (strings; validated on replay like live):

    {"feed": "telemetry", "received_at": "...", "item": "USLAB000058",
     "fields": {"Value": "743.3", "TimeStamp": "6864.0", "Status.Class": "24"}}
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import json
import os
import tempfile
from bisect import insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from issdash.feeds.clock import Clock, iso_z, parse_iso_utc
from issdash.feeds.localfiles import RECORDING_MAX_BYTES, describe_os_error
from issdash.feeds.sources import FeedError, RawResponse, Source
from issdash.feeds.text import clean_text

if TYPE_CHECKING:
    # Imported when a recording is loaded: it needs numpy, which writing one does not.
    from issdash.feeds.recording_index import RecordingIndex

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
    # A streamed update: the item and its fields as received.
    item: str | None = None
    fields: dict[str, str | None] | None = None

    def to_json(self) -> dict[str, Any]:
        if self.item is not None:
            return {
                "feed": self.feed,
                "received_at": iso_z_ms(self.received_at),
                "item": self.item,
                "fields": self.fields or {},
            }
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
    """A recording, indexed (feeds/recording_index.py): it is read a window at a time, never
    held whole. `problems` says what was skipped and why (lines found unusable when read are
    added as they are found)."""

    start: datetime
    end: datetime
    description: str
    feeds: tuple[str, ...]
    index: RecordingIndex[Entry] = field(repr=False)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None
    title: str = "recording"

    def cadence_s(self, feed: str) -> float | None:
        """The usual gap between this feed's recorded answers (the median)."""
        return self.index.cadence_s(feed)

    def next_after(self, feed: str, at: datetime) -> Entry | None:
        """The first entry for `feed` received after `at`."""
        return self.index.next_after(feed, at)

    def latest(self, feed: str, at: datetime) -> Entry | None:
        """The last entry for `feed` received at or before `at`."""
        return self.index.latest(feed, at)

    def updates(
        self, feed: str, after: datetime | None, until: datetime, lookback: timedelta
    ) -> Iterator[Entry]:
        """`feed`'s entries received after `after` up to `until`, in time order, read as they
        are iterated. From scratch (`after` None): the latest entry of each item at
        `until - lookback`, as a stream's snapshot gives it, then every entry after that."""
        return self.index.entries(feed, self.index.window(feed, after, until, lookback))

    @property
    def entries(self) -> dict[str, list[Entry]]:
        """Every entry of every feed, read now: for small recordings and tests only (the
        program reads windows, see `updates`)."""
        return {
            feed: list(self.index.entries(feed, range(self.index.size(feed))))
            for feed in self.feeds
        }

    def close(self) -> None:
        self.index.close()


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


def load_recording(path: Path, known_feeds: Iterable[str]) -> Recording:
    """Index the recording; every skipped line is reported with its number and the reason.

    Raises `RecordingError` (one line naming the file) when there is no usable recording:
    not a regular file, over the size cap (on disk, or once decompressed), no header.
    """
    from issdash.feeds.recording_index import RecordingFileError, RecordingIndex

    try:
        index = RecordingIndex(
            path, known_feeds, RECORDING_MAX_BYTES, entry_from_json, FORMAT, VERSION
        )
    except RecordingFileError as exc:
        raise RecordingError(str(exc)) from None
    header = index.header or {}
    try:
        first, last = index.span()
        start = parse_iso_utc(str(header["start"])) if header.get("start") else first
        end = parse_iso_utc(str(header["end"])) if header.get("end") else last
        if start is None or end is None:
            raise ValueError("no times")
    except (ValueError, KeyError, OverflowError):
        index.close()
        raise RecordingError(f"{path}: the header has no usable start and end") from None
    if end < start:
        index.close()
        raise RecordingError(f"{path}: the header's end is before its start")
    return Recording(
        start=start,
        end=end,
        description=clean_text(header.get("description", ""), 2000),
        feeds=tuple(sorted(index.feeds)),
        index=index,
        problems=index.problems,
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
        return f"line {number}: unknown feed {clean_text(feed, 30)!r}, skipped"
    if "item" in data:
        return _add_stream_entry(data, number, entries)
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
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        return f"line {number}: bad entry ({type(exc).__name__}: {clean_text(exc, 80)}), skipped"
    if entry.body is None and entry.error is None:
        return f"line {number}: neither body nor error, skipped"
    feed_entries = entries.setdefault(entry.feed, [])
    if feed_entries and entry.received_at < feed_entries[-1].received_at:
        return f"line {number}: {entry.feed} time {iso_z(received_at)} goes back in time, skipped"
    feed_entries.append(entry)
    return None


def _add_stream_entry(
    data: dict[str, Any], number: int, entries: dict[str, list[Entry]]
) -> str | None:
    fields = data.get("fields")
    try:
        received_at = parse_iso_utc(str(data["received_at"]))
    except (KeyError, ValueError, OverflowError) as exc:  # year 9999 at -23:59: OverflowError
        return f"line {number}: bad entry ({type(exc).__name__}: {clean_text(exc, 80)}), skipped"
    if not isinstance(data.get("item"), str) or not isinstance(fields, dict):
        return f"line {number}: an update needs an item name and a fields object, skipped"
    if not all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in fields.items()):
        return f"line {number}: update fields must be strings or null, skipped"
    feed_entries = entries.setdefault(str(data["feed"]), [])
    entry = Entry(str(data["feed"]), "", received_at, None, item=data["item"], fields=fields)
    # Updates can be written a little out of order by a slow writer: keep them in time order
    # (stable, so updates received together keep their order).
    if feed_entries and received_at < feed_entries[-1].received_at:
        insort(feed_entries, entry, key=lambda e: e.received_at)
    else:
        feed_entries.append(entry)
    return None


class RecordingWriteError(Exception):
    """The recording cannot be written (a missing folder, a file in use); one line."""


# Room left after the provisional header for its end time: the final header is written over
# it in place at the end, so closing needs no extra disk space (a full disk is when it
# matters most).
_HEADER_ROOM = 40


class RecordingWriter:
    """Appends entries as they arrive; `close()` fills in the header's end time.

    Entries go to a working file beside the target (`OUT.part`), one whole line per write,
    so a recording that is interrupted still holds everything received so far. The working
    file is locked (flock) for the whole run: a second recorder on the same OUT is refused
    instead of interleaving lines with the first.

    Nothing raises once recording has started: a local write error (a full disk) or the size
    cap stops the writer, cuts the file back to its last whole line and sets `stopped` with
    the reason; `on_stop` is called so the recorder can end. Only entries written whole are
    counted.
    """

    def __init__(
        self,
        path: Path,
        feeds: Iterable[str],
        start: datetime,
        description: str,
        title: str = "",
        max_bytes: int | None = None,
    ) -> None:
        self.path = path
        self.title = title
        self.feeds = tuple(feeds)
        self.start = start
        self.description = description
        self.max_bytes = max_bytes
        self.good = 0
        self.errors = 0
        self.stopped: str | None = None
        self.local_error = False
        self.on_stop: Callable[[str], None] | None = None
        # Set by close() when the file is whole but not as asked (kept uncompressed, say).
        self.compressed_note: str | None = None
        self._last: datetime | None = None
        self._work = path.with_name(path.name + ".part")
        self._fd = self._open_locked()
        self._offset = 0
        try:
            header = self._header_bytes(end=None)
            self._header_len = len(header) + _HEADER_ROOM
            self._write_all(header[:-1] + b" " * _HEADER_ROOM + b"\n")
        except OSError as exc:
            self._release()
            raise RecordingWriteError(
                f"cannot write {self._work}: {describe_os_error(exc)}"
            ) from None

    @property
    def count(self) -> int:
        return self.good + self.errors

    def _open_locked(self) -> int:
        folder = self.path.parent
        if not folder.is_dir():
            raise RecordingWriteError(
                f"cannot record to {self.path}: the folder {folder} does not exist"
            )
        if os.path.lexists(self.path) and not self.path.is_file():
            raise RecordingWriteError(f"cannot record to {self.path}: not a regular file")
        try:
            # No O_TRUNC: the file may be another recorder's, still being written.
            fd = os.open(self._work, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise RecordingWriteError(
                f"cannot write {self._work}: {describe_os_error(exc)}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RecordingWriteError(
                f"{self.path} is in use: another issdash record is writing it"
                f" (lock on {self._work.name})"
            ) from None
        try:
            os.ftruncate(fd, 0)
        except OSError as exc:
            self._fd = fd
            self._release()
            raise RecordingWriteError(
                f"cannot write {self._work}: {describe_os_error(exc)}"
            ) from None
        return fd

    def _release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = -1

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

    def _header_bytes(self, end: datetime | None) -> bytes:
        return _line_bytes(self._header(end))

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._offset += len(data)

    def write(self, entry: Entry) -> bool:
        """Append one entry as a whole line; False when it was not written (stopped)."""
        if self.stopped is not None or self._fd < 0:
            return False
        data = _line_bytes(entry.to_json())
        if self.max_bytes is not None and self._offset + len(data) > self.max_bytes:
            self._stop(f"reached the size cap of {self.max_bytes:,} bytes", local_error=False)
            return False
        start = self._offset
        try:
            self._write_all(data)
        except OSError as exc:
            # Cut back to the last whole line (shrinking a file needs no space).
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            self._offset = start
            self._stop(f"cannot write {self._work}: {describe_os_error(exc)}", local_error=True)
            return False
        if entry.error is None:
            self.good += 1
        else:
            self.errors += 1
        self._last = entry.received_at if self._last is None else max(self._last, entry.received_at)
        return True

    def _stop(self, reason: str, *, local_error: bool) -> None:
        self.stopped = reason
        self.local_error = local_error
        if self.on_stop is not None:
            self.on_stop(reason)

    def close(self, end: datetime | None = None) -> Path:
        """Finish the file: the header's end time written in place, then the working file
        renamed to OUT (compressed first when OUT ends in .gz, if the disk has room; else
        it is kept uncompressed under that name, which the loader reads all the same)."""
        if self._fd < 0:
            return self.path
        end = end or self._last or self.start
        header = self._header_bytes(end)
        padded = header[:-1] + b" " * (self._header_len - len(header)) + b"\n"
        try:
            os.pwrite(self._fd, padded, 0)  # the end time fits in the room left for it
            os.fsync(self._fd)
        except OSError as exc:
            # The provisional header (end: null) stays: the file is still a valid recording.
            self.compressed_note = f"header not updated ({describe_os_error(exc)})"
        try:
            if self.path.suffix == ".gz" and not self._compress():
                self.compressed_note = "kept uncompressed: no room to compress"
            os.replace(self._work, self.path)
        except OSError as exc:
            # Everything is in the working file still: say where, rather than lose it.
            self.compressed_note = (
                f"could not rename it to {self.path.name} ({describe_os_error(exc)}):"
                f" the recording is {self._work}"
            )
            return self._work
        finally:
            self._release()
        return self.path

    def _compress(self) -> bool:
        fd, tmp = tempfile.mkstemp(prefix=".recording.", suffix=".tmp", dir=self.path.parent)
        os.close(fd)
        try:
            with self._work.open("rb") as src, gzip.open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            os.replace(tmp, self._work)
            return True
        except OSError:
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)


def _line_bytes(data: dict[str, Any]) -> bytes:
    # errors="replace": a lone surrogate in a body must not make a whole answer unwritable.
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8", errors="replace")


class EntrySink(Protocol):
    """Where answers go as they are received: a recording file, or the answer bus. What
    `write` returns (a recording says whether it still records) is not needed here."""

    def write(self, entry: Entry) -> object: ...


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
