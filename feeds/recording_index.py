"""A recording indexed by feed and time, so that it is answered from a window of it, never held
whole (issue 24: a 120 MB recording once made `status --demo FILE --at T` take 900 MB).

One pass reads the file, a block at a time, and keeps three numbers per line: its time
(integer microseconds, exact), its byte offset and its length, per feed in time order, and for
streamed feeds (telemetry) the item. A gzipped recording is inflated into an anonymous
temporary file during that pass, so its lines can be read again by offset. Lines as
`RecordingWriter` writes them are recognised by one regular expression over a whole block,
without parsing their JSON; any other line (the header, one written by hand or damaged, or a
block holding one) is parsed and checked line by line as the loader always did, with a
problem naming its line number. Every line is parsed in full, and checked, when it is read:
one that looked right in the first pass but is not valid is skipped then, and said.

What is held is the index (about 30 bytes a line) and the entries of the window being read.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import tempfile
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from issdash.feeds.clock import iso_z, parse_iso_utc
from issdash.feeds.localfiles import LocalFileError, describe_os_error, open_regular
from issdash.feeds.recording_lines import (
    MAX_LINE_BYTES,
    WRITER_LINE,
    distinct_ints,
    from_us,
    telemetry_columns,
    to_us,
)
from issdash.feeds.text import clean_text
from issdash.feeds.validation import loads_limited

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"


class IndexedEntry(Protocol):
    """What the index needs of an entry (feeds/recording.py's `Entry`; that module imports
    this one, so the entry type and its parser are handed in, not imported)."""

    @property
    def feed(self) -> str: ...

    @property
    def received_at(self) -> datetime: ...

    @property
    def item(self) -> str | None: ...


E = TypeVar("E", bound=IndexedEntry)
# An entry from a line's JSON object, or why not (a problem beginning "line 0: ").
ParseEntry = Callable[[dict[str, Any], set[str]], tuple[E | None, str | None]]


class RecordingFileError(Exception):
    """The file is not a usable recording; one line naming it."""


BLOCK_BYTES = 1 << 20
# Problems found while reading windows are kept up to this many (a damaged file read over and
# over in a replay must not grow the list without end).
MAX_LATE_PROBLEMS = 200
_SNAPSHOT_SLICE = 1 << 16


class _FeedLines:
    """The index of one feed's lines, appended in file order, sorted by time at the end."""

    def __init__(self) -> None:
        # 20 bytes a line: offsets and lengths fit 32 bits (the cap is below 2 GB).
        self.times = array("q")
        self.offsets = array("i")
        self.lengths = array("i")
        self.items = array("i")
        self.max_us: int | None = None  # the latest time kept so far
        self.distinct_items: set[int] = set()

    def add(self, time_us: int, offset: int, length: int, item: int) -> None:
        self.times.append(time_us)
        self.offsets.append(offset)
        self.lengths.append(length)
        self.items.append(item)
        self.distinct_items.add(item)
        self.max_us = time_us if self.max_us is None else max(self.max_us, time_us)


class FeedIndex:
    """One feed's lines in time order (stable: lines of the same time keep file order)."""

    def __init__(self, lines: _FeedLines) -> None:
        times = np.frombuffer(lines.times, dtype=np.int64)
        offsets = np.frombuffer(lines.offsets, dtype=np.int32)
        lengths = np.frombuffer(lines.lengths, dtype=np.int32)
        items = np.frombuffer(lines.items, dtype=np.int32)
        if times.size > 1 and bool(np.any(times[1:] < times[:-1])):
            # Streamed updates written a little out of order by a slow writer.
            order = np.argsort(times, kind="stable")
            times, offsets, lengths = times[order], offsets[order], lengths[order]
            items = items[order]
        self.times: npt.NDArray[np.int64] = times
        self.offsets: npt.NDArray[np.int32] = offsets
        self.lengths: npt.NDArray[np.int32] = lengths
        self.items: npt.NDArray[np.int32] = items
        self.distinct_items = len(lines.distinct_items)

    def __len__(self) -> int:
        return int(self.times.size)


class RecordingIndex(Generic[E]):
    """The file (or its inflated copy) kept open, and every feed's index. `known`: the feed
    names a line may have; the header must have `header_format` and `version`; `parse` makes
    an entry of a line (and checks it)."""

    def __init__(
        self,
        path: Path,
        known: Iterable[str],
        max_bytes: int,
        parse: ParseEntry[E],
        header_format: str,
        version: int,
    ) -> None:
        if max_bytes >= 2**31:
            raise ValueError("offsets are kept in 32 bits: the cap must be below 2 GiB")
        self.path = path
        self.known = set(known)
        self._parse = parse
        self._format = header_format
        self._version = version
        self.max_bytes = max_bytes
        self.problems: list[str] = []
        self.header: dict[str, Any] | None = None
        self.feeds: dict[str, FeedIndex] = {}
        self.late_problems = 0
        self.lines_read = 0  # lines parsed since the index was made (what a window cost)
        self._lines: dict[str, _FeedLines] = {}
        self._feed_codes: dict[bytes, int] = {}
        self._feed_list: list[str] = []
        self._item_codes: dict[str, int] = {"": 0}
        self._item_bytes: dict[bytes, int] = {}
        self.item_names: list[str] = [""]
        self._stamp_us: dict[bytes, int] = {}
        self._line_no = 0  # lines seen before the block being read
        self._cut_short: str | None = None  # why a gzip stream ended early
        self._lock = threading.Lock()
        self._handle: IO[bytes] | None = None
        self._build()

    # ---- the first pass ---------------------------------------------------------------------

    def _build(self) -> None:
        try:
            fd = open_regular(self.path, "recording", self.max_bytes)
        except LocalFileError as exc:
            raise RecordingFileError(str(exc)) from None
        source = os.fdopen(fd, "rb")
        try:
            magic = source.read(2)
            source.seek(0)
            if magic == GZIP_MAGIC:
                self._handle = self._inflate(source)
                source.close()
            else:
                self._handle = source
                self._scan(self._plain_chunks(source))
        except OSError as exc:
            self.close()
            source.close()
            raise RecordingFileError(
                f"recording {self.path}: cannot read ({describe_os_error(exc)})"
            ) from None
        except BaseException:
            self.close()
            source.close()
            raise
        if self.header is None:
            self.close()
            why = f" ({self.problems[0]})" if self.problems else ""
            raise RecordingFileError(f"{self.path}: empty, no header{why}")
        self.feeds = {name: FeedIndex(lines) for name, lines in self._lines.items() if lines.times}
        self._lines = {}
        self._stamp_us = {}

    def _plain_chunks(self, handle: IO[bytes]) -> Iterator[bytes]:
        total = 0
        while chunk := handle.read(BLOCK_BYTES):
            total += len(chunk)
            if total > self.max_bytes:  # it grew after the size was checked
                raise RecordingFileError(
                    f"recording {self.path}: more than {self.max_bytes:,} bytes, over the limit"
                )
            yield chunk

    def _inflate(self, source: IO[bytes]) -> IO[bytes]:
        """Gunzip into an anonymous temporary file while indexing; at most the cap once
        inflated. A stream cut short keeps what came before the cut (a problem says so)."""
        try:
            copy = tempfile.TemporaryFile(prefix="issdash-recording-")  # noqa: SIM115 (kept open: lines are read from it later)
        except OSError as exc:
            raise RecordingFileError(
                f"recording {self.path}: no room to inflate it ({describe_os_error(exc)})"
            ) from None
        self._handle = copy

        def chunks() -> Iterator[bytes]:
            total = 0
            try:
                with gzip.GzipFile(fileobj=source, mode="rb") as stream:
                    while chunk := stream.read1(BLOCK_BYTES):
                        total += len(chunk)
                        if total > self.max_bytes:
                            raise RecordingFileError(
                                f"recording {self.path}: more than {self.max_bytes:,} bytes"
                                " once decompressed, over the limit"
                            )
                        copy.write(chunk)
                        yield chunk
            except (OSError, EOFError, zlib.error) as exc:
                self._cut_short = f"({clean_text(exc, 80)}); loaded what came before"

        self._scan(chunks())
        copy.flush()
        return copy

    def _scan(self, chunks: Iterable[bytes]) -> None:
        pending: list[bytes] = []  # text not indexed yet: the start of the last line
        held = 0  # bytes in `pending`
        offset = 0  # of the pending text in the whole text
        skipping = False  # inside a line too long to hold, up to its end
        for chunk in chunks:
            if skipping and (end := chunk.find(b"\n")) < 0:
                offset += len(chunk)
                continue
            if skipping:
                offset, chunk, skipping = offset + end + 1, chunk[end + 1 :], False
            if pending and b"\n" not in chunk:
                pending.append(chunk)  # a long line: joined once, when it ends
                held += len(chunk)
                if held > MAX_LINE_BYTES:  # never held whole (one line of 200 MB took 670 MB)
                    self._line_no += 1
                    self.problems.append(f"line {self._line_no}: over {MAX_LINE_BYTES:,} bytes")
                    pending, held, offset, skipping = [], 0, offset + held, True
                continue
            data = b"".join(pending) + chunk
            # Every whole line but the last: the last line of the file is judged apart (a cut
            # one is "truncated", not "not valid JSON"), so one line is always held back.
            body = data[:-1] if data.endswith(b"\n") else data
            cut = body.rfind(b"\n") + 1
            if cut:
                self._block(data[:cut], offset)
                offset += cut
            pending = [data[cut:]]
            held = len(pending[0])
        rest = b"".join(pending)
        cut_short = self._cut_short
        if rest:
            line = rest[:-1] if rest.endswith(b"\n") else rest
            self._line_no += 1
            self._slow_line(line, self._line_no, offset, last=True)
        if cut_short:
            self.problems.insert(0, f"file ends early after line {self._line_no} {cut_short}")

    def _block(self, block: bytes, offset: int) -> None:
        """Index a block of whole lines: all at once when every line is as the writer writes
        them, else line by line."""
        if self.header is None or not self._fast_block(block, offset):
            number = self._line_no
            start = 0
            while start < len(block):
                end = block.index(b"\n", start)
                number += 1
                self._slow_line(block[start:end], number, offset + start, last=False)
                start = end + 1
        self._line_no += block.count(b"\n")

    def _fast_block(self, block: bytes, offset: int) -> bool:
        """Index a block whose every line is as the writer writes it (False: it is not).
        Telemetry updates, nearly all of a large recording, are read column-wise with numpy;
        the few other lines one by one with the regular expression."""
        buf = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(buf == 10)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        if not bool(np.all(ends > starts)) or not bool(np.all(buf[ends - 1] == 125)):
            return False  # a blank line, or one that does not end with its closing brace
        count = int(ends.size)
        times = np.zeros(count, dtype=np.int64)
        items = np.zeros(count, dtype=np.int64)
        feed_of = np.full(count, -1, dtype=np.int64)
        if "telemetry" in self.known:
            self._telemetry_rows(buf, starts, ends, times, items, feed_of)
        for row in np.flatnonzero(feed_of < 0).tolist():
            found = WRITER_LINE.match(block, int(starts[row]))
            if found is None or found.end() != int(ends[row]):
                return False
            name, stamp, item = found.groups()
            code = self._feed_code(name)
            when = self._stamp(stamp)
            if code is None or when is None:
                return False  # said, with its line number, by the line-by-line pass
            feed_of[row], times[row] = code, when
            if item:
                items[row] = self._item_code(item.decode("utf-8", errors="replace"))
        for code in distinct_ints(feed_of):
            rows = np.flatnonzero(feed_of == code)
            self._append(self._feed_list[code], rows, times, starts, ends, items, offset)
        return True

    def _feed_code(self, name: bytes) -> int | None:
        code = self._feed_codes.get(name)
        if code is None:
            feed = name.decode("utf-8", errors="replace")
            if feed not in self.known:
                return None
            code = self._feed_codes[name] = len(self._feed_list)
            self._feed_list.append(feed)
        return code

    def _stamp(self, stamp: bytes) -> int | None:
        when = self._stamp_us.get(stamp)
        if when is None:
            try:
                when = to_us(parse_iso_utc(stamp.decode("ascii")))
            except (ValueError, OverflowError, UnicodeDecodeError):
                return None
            if len(self._stamp_us) > 100_000:  # a cache of recent batches' times only
                self._stamp_us.clear()
            self._stamp_us[stamp] = when
        return when

    def _telemetry_rows(
        self,
        buf: npt.NDArray[np.uint8],
        starts: npt.NDArray[np.intp],
        ends: npt.NDArray[np.intp],
        times: npt.NDArray[np.int64],
        items: npt.NDArray[np.int64],
        feed_of: npt.NDArray[np.int64],
    ) -> None:
        """Fill in the rows that are telemetry updates exactly as the writer writes them
        (feeds/recording_lines.py finds them), with their times and item codes."""
        rows, stamp, item = telemetry_columns(buf, starts, ends)
        if not rows.size:
            return
        # Updates come in batches of one time: parse the time where it changes only.
        changed = np.empty(rows.size, dtype=bool)
        changed[0] = True
        changed[1:] = stamp[1:] != stamp[:-1]
        firsts = np.flatnonzero(changed)
        stamp_us = [self._stamp(bytes(s).rstrip(b"\0")) for s in stamp[firsts].tolist()]
        group = np.cumsum(changed) - 1
        good = np.array([s is not None for s in stamp_us], dtype=bool)[group]
        when = np.array([s or 0 for s in stamp_us], dtype=np.int64)[group]
        names = item.tolist()
        for name in set(names):
            if name not in self._item_bytes:
                self._item_bytes[name] = self._item_code(
                    bytes(name).rstrip(b"\0").decode("utf-8", errors="replace")
                )
        codes = np.fromiter(map(self._item_bytes.__getitem__, names), np.int64, len(names))
        rows = rows[good]
        times[rows] = when[good]
        items[rows] = codes[good]
        code = self._feed_code(b"telemetry")
        assert code is not None
        feed_of[rows] = code

    def _append(
        self,
        feed: str,
        rows: npt.NDArray[np.intp],
        all_times: npt.NDArray[np.int64],
        all_starts: npt.NDArray[np.intp],
        all_ends: npt.NDArray[np.intp],
        all_items: npt.NDArray[np.int64],
        offset: int,
    ) -> None:
        """Index the lines `rows` of a block (all of one feed)."""
        times, items = all_times[rows], all_items[rows]
        starts, ends = all_starts[rows], all_ends[rows]
        lines = self._lines.setdefault(feed, _FeedLines())
        # A polled answer older than one kept before it is skipped (a stream update is kept:
        # sorted into place at the end), as the loader always did.
        prior = np.empty_like(times)
        prior[0] = lines.max_us if lines.max_us is not None else times[0]
        prior[1:] = np.maximum(np.maximum.accumulate(times)[:-1], prior[0])
        back = (times < prior) & (items == 0)
        if bool(back.any()):
            for index in np.flatnonzero(back).tolist():
                number = self._line_no + int(rows[index]) + 1
                when = iso_z(from_us(int(times[index])))
                self.problems.append(
                    f"line {number}: {feed} time {when} goes back in time, skipped"
                )
            keep = ~back
            times, items, starts, ends = times[keep], items[keep], starts[keep], ends[keep]
        if not times.size:
            return
        lines.times.frombytes(times.astype(np.int64).tobytes())
        lines.offsets.frombytes((starts + offset).astype(np.int32).tobytes())
        lines.lengths.frombytes((ends - starts).astype(np.int32).tobytes())
        lines.items.frombytes(items.astype(np.int32).tobytes())
        lines.distinct_items.update(distinct_ints(items))
        top = int(times.max())
        lines.max_us = top if lines.max_us is None else max(lines.max_us, top)

    def _slow_line(self, raw: bytes, number: int, offset: int, *, last: bool) -> None:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            data = loads_limited(text)
        except json.JSONDecodeError:
            kind = "truncated last line" if last else "not valid JSON"
            self.problems.append(f"line {number}: {kind}, skipped")
            return
        except ValueError as exc:
            self.problems.append(f"line {number}: {exc}, skipped")
            return
        if not isinstance(data, dict):
            self.problems.append(f"line {number}: not a JSON object, skipped")
            return
        if self.header is None:
            if data.get("format") != self._format:
                raise RecordingFileError(
                    f"{self.path}: line {number} is not an {self._format} header"
                )
            if data.get("version") != self._version:
                raise RecordingFileError(
                    f"{self.path}: format version {clean_text(data.get('version'), 20)},"
                    f" expected {self._version}"
                )
            self.header = data
            return
        entry, problem = self._parse(data, self.known)
        if problem:
            self.problems.append(problem.replace("line 0:", f"line {number}:", 1))
        if entry is None:
            return
        lines = self._lines.setdefault(entry.feed, _FeedLines())
        when = to_us(entry.received_at)
        if entry.item is None and lines.max_us is not None and when < lines.max_us:
            self.problems.append(
                f"line {number}: {entry.feed} time {iso_z(entry.received_at)}"
                " goes back in time, skipped"
            )
            return
        lines.add(when, offset, len(raw), self._item_code(entry.item or ""))

    def _item_code(self, name: str) -> int:
        code = self._item_codes.setdefault(name, len(self.item_names))
        if code == len(self.item_names):
            self.item_names.append(name)
        return code

    # ---- reading ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def entry(self, feed: str, index: int) -> E | None:
        """The entry at `index` in `feed`'s time order, parsed and checked now (None, and a
        problem said, if the line is not usable after all)."""
        lines = self.feeds[feed]
        offset, length = int(lines.offsets[index]), int(lines.lengths[index])
        self.lines_read += 1
        with self._lock:
            if self._handle is None:
                return None
            # By offset, never through the file position: forked processes (issdash serve's
            # sessions) share this one open file, and a seek in one would move the others'.
            raw = os.pread(self._handle.fileno(), length, offset)
        try:
            data = loads_limited(raw.decode("utf-8", errors="replace"))
        except ValueError as exc:
            self._late(offset, clean_text(exc, 80))
            return None
        if not isinstance(data, dict):
            self._late(offset, "not a JSON object")
            return None
        entry, problem = self._parse(data, self.known)
        if entry is None or entry.feed != feed:
            # entry_from_json has no line number to give: "line 0: ...".
            why = problem.removeprefix("line 0: ").removesuffix(", skipped") if problem else ""
            self._late(offset, why or "changed since it was indexed")
            return None
        return entry

    def _late(self, offset: int, why: str) -> None:
        self.late_problems += 1
        if self.late_problems <= MAX_LATE_PROBLEMS:
            problem = f"the line at byte {offset:,}: {why}, skipped"
            self.problems.append(problem)
            log.warning("recording %s: %s", self.path, problem)

    def times(self, feed: str) -> npt.NDArray[np.int64]:
        lines = self.feeds.get(feed)
        return lines.times if lines is not None else np.empty(0, dtype=np.int64)

    def entries(self, feed: str, indices: Iterable[int]) -> Iterator[E]:
        for index in indices:
            entry = self.entry(feed, index)
            if entry is not None:
                yield entry

    def window(
        self, feed: str, after: datetime | None, until: datetime, lookback: timedelta
    ) -> list[int]:
        """The indices, in time order, of `feed`'s lines after `after` up to `until`. With no
        `after` (from scratch): the last line of each item at or before `until - lookback`
        (what a stream's snapshot would give on connecting then), then every line after it
        up to `until`."""
        times = self.times(feed)
        end = int(np.searchsorted(times, to_us(until), side="right"))
        if after is not None:
            start = int(np.searchsorted(times, to_us(after), side="right"))
            return list(range(start, max(start, end)))
        start = int(np.searchsorted(times, to_us(until - lookback), side="right"))
        start = min(start, end)
        snapshot: list[int] = []
        lines = self.feeds.get(feed)
        if start and lines is not None:
            # The last line of each item before `start`, looking back a slice at a time (the
            # memory needed is one slice's, however long the recording).
            seen: set[int] = set()
            high = start
            while high > 0 and len(seen) < lines.distinct_items:
                low = max(0, high - _SNAPSHOT_SLICE)
                codes, last = np.unique(lines.items[low:high][::-1], return_index=True)
                for code, back in zip(codes.tolist(), last.tolist(), strict=True):
                    if code not in seen:
                        seen.add(code)
                        snapshot.append(high - 1 - back)
                high = low
            snapshot.sort()
        return snapshot + list(range(start, end))

    def size(self, feed: str) -> int:
        lines = self.feeds.get(feed)
        return len(lines) if lines is not None else 0

    def span(self) -> tuple[datetime | None, datetime | None]:
        """The first and last time of any line kept."""
        firsts = [int(f.times[0]) for f in self.feeds.values()]
        lasts = [int(f.times[-1]) for f in self.feeds.values()]
        if not firsts:
            return None, None
        return from_us(min(firsts)), from_us(max(lasts))

    def cadence_s(self, feed: str) -> float | None:
        """The median gap between `feed`'s lines (the upper one of an even count)."""
        times = self.times(feed)
        if times.size < 2:
            return None
        gaps = np.diff(times)
        middle = gaps.size // 2
        gaps.partition(middle)  # in place: the one a full sort would put in the middle
        return int(gaps[middle]) / 1_000_000

    def latest(self, feed: str, at: datetime) -> E | None:
        """The last usable entry of `feed` at or before `at`."""
        index = int(np.searchsorted(self.times(feed), to_us(at), side="right")) - 1
        while index >= 0:
            entry = self.entry(feed, index)
            if entry is not None:
                return entry
            index -= 1
        return None

    def next_after(self, feed: str, at: datetime) -> E | None:
        """The first usable entry of `feed` after `at`."""
        index = int(np.searchsorted(self.times(feed), to_us(at), side="right"))
        while index < self.size(feed):
            entry = self.entry(feed, index)
            if entry is not None:
                return entry
            index += 1
        return None
