"""Last good responses on disk, so a restart without network still has an orbit and a crew.

The raw response is stored, not the parsed value: on start-up it goes back through the same
adapter as a live one, so a cache written by an older version is re-validated, not trusted.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from feeds.clock import iso_z, parse_iso_utc
from feeds.sources import RawResponse

log = logging.getLogger(__name__)


class FeedCache:
    """One JSON file per feed. Writes are atomic; any disk trouble degrades to memory-only."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._memory: dict[str, RawResponse] = {}
        self.notice: str | None = None if directory else "cache off: memory only"
        # Told when the cache degrades to memory, so the screen can say so.
        self.on_notice: Callable[[str], None] | None = None

    def path(self, feed: str) -> Path | None:
        return self._directory / f"{feed}.json" if self._directory else None

    def save(self, feed: str, raw: RawResponse) -> None:
        self._memory[feed] = raw
        path = self.path(feed)
        if path is None:
            return
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
            if notice != self.notice:
                self.notice = notice
                if self.on_notice is not None:
                    self.on_notice(notice)

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
        if path is None or not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            raw = RawResponse(
                url=str(record["url"]),
                status=int(record["status"]),
                content_type=str(record["content_type"]),
                body=str(record["body"]),
                received_at=parse_iso_utc(str(record["received_at"])),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable cache file %s: %s", path, exc)
            return None
        self._memory[feed] = raw
        return raw
