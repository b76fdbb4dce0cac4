"""Last good responses on disk, so a restart without network still has an orbit and a crew.

The raw response is stored, not the parsed value: on start-up it goes back through the same
adapter as a live one, so a cache written by an older version is re-validated, not trusted.

Reading is bounded (feeds/localfiles.py): a cache file is read only when it is a regular file
under `CACHE_MAX_BYTES`, and parsed with depth and number limits. A file that fails any of that
is set aside as `<feed>.json.bad` (kept for a look, never read again) with a notice, and the
next good fetch writes a fresh one. Temporary files left by a process killed mid-write are
removed on first use. Where an event loop runs, `preload` reads the files in a thread of their
own under a deadline (`CACHE_READ_TIMEOUT_S`), so a dead mount never holds the screen.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from issdash.feeds.clock import iso_z, parse_iso_utc
from issdash.feeds.localfiles import (
    CACHE_MAX_BYTES,
    LocalFileError,
    describe_os_error,
    read_bounded,
    run_off_loop,
)
from issdash.feeds.sources import RawResponse
from issdash.feeds.text import clean_text
from issdash.feeds.validation import loads_limited

# A temporary file older than this is an orphan of a killed write (a write takes milliseconds;
# the margin keeps a second process sharing the folder from losing its write in flight).
ORPHAN_AGE_S = 60.0
# A cache file on a local disk is read in milliseconds; one on a network mount that died is
# never read: past this, start-up goes on without it (the feed polls afresh), and says so.
CACHE_READ_TIMEOUT_S = 5.0

log = logging.getLogger(__name__)


class FeedCache:
    """One JSON file per feed. Writes are atomic; any disk trouble degrades to memory-only."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._memory: dict[str, RawResponse] = {}
        self.notice: str | None = None if directory else "cache off: memory only"
        # Told when the cache degrades to memory, so the screen can say so.
        self.on_notice: Callable[[str], None] | None = None
        self._swept = False
        # Feeds whose cache file the file system did not give within the time: not read again
        # this run (a read still stuck in its thread must not be joined by another).
        self._unread: set[str] = set()

    def _tell(self, notice: str) -> None:
        if notice != self.notice:
            self.notice = notice
            if self.on_notice is not None:
                self.on_notice(notice)

    def sweep_orphans(self) -> list[Path]:
        """Remove temporary files left by writes that were killed; returns those removed."""
        self._swept = True
        removed: list[Path] = []
        if self._directory is None:
            return removed
        try:
            candidates = list(self._directory.glob(".*.tmp"))
        except OSError:
            return removed
        now = time.time()  # file times are wall-clock times; only their age matters
        for tmp in candidates:
            try:
                if abs(now - tmp.lstat().st_mtime) < ORPHAN_AGE_S:
                    continue
                tmp.unlink()
                removed.append(tmp)
            except OSError as exc:
                log.warning("cannot remove the orphan temporary file %s: %s", tmp, exc)
        if removed:
            log.warning("removed %d orphan temporary cache file(s)", len(removed))
        return removed

    def set_aside(self, feed: str, reason: str) -> None:
        """Move a bad cache file out of the way (`<feed>.json.bad`), saying so once."""
        path = self.path(feed)
        if path is None:
            return
        self._memory.pop(feed, None)
        bad = path.with_name(path.name + ".bad")
        try:
            os.replace(path, bad)
            where = f"set aside as {bad.name}"
        except FileNotFoundError:
            return
        except OSError as exc:
            where = f"could not be set aside ({describe_os_error(exc)})"
        log.warning("cache file %s is unusable (%s); %s", path, reason, where)
        self._tell(clean_text(f"cache file {path.name} unusable ({reason}); {where}", 160))

    def path(self, feed: str) -> Path | None:
        return self._directory / f"{feed}.json" if self._directory else None

    def save(self, feed: str, raw: RawResponse) -> None:
        self._memory[feed] = raw
        path = self.path(feed)
        if path is None:
            return
        if not self._swept:
            self.sweep_orphans()
        record = {
            "feed": feed,
            "url": raw.url,
            "status": raw.status,
            "content_type": raw.content_type,
            "received_at": iso_z(raw.received_at),
            "body": raw.body,
        }
        # The answer's HTTP validators: the first request after a restart is conditional too.
        if raw.etag:
            record["etag"] = raw.etag
        if raw.last_modified:
            record["last_modified"] = raw.last_modified
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename over it: a crash mid-write leaves the old
            # file whole, never half a file.
            fd, tmp = tempfile.mkstemp(prefix=f".{feed}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    # UTF-8 as is (not \\u escapes): the file stays within the answer's
                    # double, under CACHE_MAX_BYTES (feeds/localfiles.py).
                    json.dump(record, handle, ensure_ascii=False)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            notice = f"cache not writable ({exc.strerror or exc}): keeping data in memory only"
            log.warning("cache write for %s failed: %s", feed, exc)
            self._tell(notice)

    def discard(self, feed: str) -> None:
        """Forget a cached answer that failed its checks, so no later start trusts it."""
        self._memory.pop(feed, None)
        path = self.path(feed)
        if path is None:
            return
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot remove the cached %s: %s", feed, exc)

    def load(self, feed: str) -> RawResponse | None:
        """The feed's cached response: from memory when `preload` read it, else read now (a
        command that runs no event loop)."""
        if feed in self._memory:
            return self._memory[feed]
        path = self.path(feed)
        if path is None or feed in self._unread:
            return None
        if not self._swept:
            self.sweep_orphans()
        try:
            data = _read_cache_file(path)
        except LocalFileError as exc:
            self._unusable(feed, path, exc.reason)
            return None
        return None if data is None else self._accept(feed, path, data)

    async def preload(self, feeds: Iterable[str], timeout_s: float = CACHE_READ_TIMEOUT_S) -> None:
        """Read these feeds' cache files off the event loop, each within `timeout_s`; `load`
        then answers from memory. Only the file-system work runs in the thread: parsing, and
        setting a bad file aside with its notice, happen here, on the loop."""
        if self._directory is None:
            return
        if not self._swept:
            with contextlib.suppress(TimeoutError):
                await run_off_loop(self.sweep_orphans, "cache folder", timeout_s)
        for feed in feeds:
            path = self.path(feed)
            if path is None or feed in self._memory or feed in self._unread:
                continue
            try:
                data = await run_off_loop(
                    functools.partial(_read_cache_file, path), "cache file", timeout_s
                )
            except LocalFileError as exc:
                self._unusable(feed, path, exc.reason)
                continue
            except TimeoutError:
                # Not set aside: the file may be fine on a file system that is slow today.
                self._unread.add(feed)
                log.warning("cache file %s not read within %g s: not used", path, timeout_s)
                self._tell(f"cache file {path.name} not read within {timeout_s:g} s: not used")
                continue
            if data is not None:
                self._accept(feed, path, data)

    def _accept(self, feed: str, path: Path, data: bytes) -> RawResponse | None:
        try:
            raw = parse_cache_file(data, feed)
        except ValueError as exc:
            self._unusable(feed, path, str(exc))
            return None
        self._memory[feed] = raw
        return raw

    def _unusable(self, feed: str, path: Path, reason: str) -> None:
        log.warning("ignoring unreadable cache file %s: %s", path, reason)
        self.set_aside(feed, reason)


def _read_cache_file(path: Path) -> bytes | None:
    """A cache file's bytes through the local-file gate, or None when there is none."""
    if not os.path.lexists(path):
        return None
    return read_bounded(path, "cache file", CACHE_MAX_BYTES)


def parse_cache_file(data: bytes, feed: str) -> RawResponse:
    """A cache file's bytes as the response it holds, or ValueError saying what is wrong."""
    try:
        record = loads_limited(data)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    fields = {"url": str, "status": int, "content_type": str, "body": str, "received_at": str}
    for name, kind in fields.items():
        value = record.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"field {name!r} missing or not a {kind.__name__}")
    if record.get("feed", feed) != feed:
        raise ValueError(f"holds feed {clean_text(record.get('feed'), 20)!r}, not {feed!r}")
    try:
        received_at = parse_iso_utc(record["received_at"])
    except (ValueError, OverflowError):
        raise ValueError("received_at is not an ISO 8601 time") from None
    etag, last_modified = (
        value if isinstance(value := record.get(key), str) and 0 < len(value) <= 200 else None
        for key in ("etag", "last_modified")
    )
    return RawResponse(
        url=record["url"],
        status=record["status"],
        content_type=record["content_type"],
        body=record["body"],
        received_at=received_at,
        etag=etag,
        last_modified=last_modified,
    )
