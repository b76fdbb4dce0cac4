"""Last good responses on disk, so a restart without network still has an orbit and a crew.

The raw response is stored, not the parsed value: on start-up it goes back through the same
adapter as a live one, so a cache written by an older version is re-validated, not trusted.

Reading is bounded (feeds/localfiles.py): a cache file is read only when it is a regular file
under `CACHE_MAX_BYTES`, and parsed with depth and number limits. A file that fails any of that
is set aside as `<feed>.json.bad` (kept for a look, never read again) with a notice, and the
next good fetch writes a fresh one. Temporary files left by a process killed mid-write are
removed on first use.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from issdash.feeds.clock import iso_z, parse_iso_utc
from issdash.feeds.localfiles import (
    CACHE_MAX_BYTES,
    LocalFileError,
    describe_os_error,
    read_bounded,
)
from issdash.feeds.sources import RawResponse
from issdash.feeds.text import clean_text
from issdash.feeds.validation import loads_limited

# A temporary file older than this is an orphan of a killed write (a write takes milliseconds;
# the margin keeps a second process sharing the folder from losing its write in flight).
ORPHAN_AGE_S = 60.0

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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename over it: a crash mid-write leaves the old
            # file whole, never half a file.
            fd, tmp = tempfile.mkstemp(prefix=f".{feed}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(record, handle)
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
        if feed in self._memory:
            return self._memory[feed]
        path = self.path(feed)
        if path is None:
            return None
        if not self._swept:
            self.sweep_orphans()
        if not os.path.lexists(path):
            return None
        try:
            raw = parse_cache_file(read_bounded(path, "cache file", CACHE_MAX_BYTES), feed)
        except LocalFileError as exc:
            log.warning("ignoring unreadable cache file %s: %s", path, exc)
            self.set_aside(feed, exc.reason)
            return None
        except ValueError as exc:
            log.warning("ignoring unreadable cache file %s: %s", path, exc)
            self.set_aside(feed, str(exc))
            return None
        self._memory[feed] = raw
        return raw


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
    return RawResponse(
        url=record["url"],
        status=record["status"],
        content_type=record["content_type"],
        body=record["body"],
        received_at=received_at,
    )
