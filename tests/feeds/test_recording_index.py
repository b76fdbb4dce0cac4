"""Recordings are indexed and read a window at a time (issue 24, case 7: a 120 MB recording
once took 900 MB and up to 52 s to answer `status --demo FILE --at T`).

The index gives exactly what loading every line gave (checked against a plain loader over
generated recordings, damaged ones included), and what a replay reads from scratch at a time
does not grow with the file. Figures for a 256 MB file are measured by `make bench`
(scripts/suite_budgets.py), not here."""

from __future__ import annotations

import gzip
import json
import os
from bisect import insort
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issdash.feeds import recording_index
from issdash.feeds.clock import iso_z
from issdash.feeds.recording import (
    FORMAT,
    Entry,
    Recording,
    RecordingError,
    RecordingWriter,
    entry_from_json,
    load_recording,
)
from issdash.feeds.registry import FEED_NAMES
from issdash.feeds.telemetry_stream import TelemetryReplay
from issdash.feeds.validation import loads_limited
from issdash.model.station import StationModel
from scripts.big_recording import START, write_big_recording

KNOWN = (*FEED_NAMES, "telemetry")
ITEMS = ("USLAB000058", "USLAB000010", "NODE3000005", "TIME_000001")


def reference_load(path: Path) -> tuple[dict[str, list[Entry]], list[str]]:
    """Every line parsed, as the loader did before the index: polled answers that go back in
    time skipped, stream updates sorted into place (stable)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    entries: dict[str, list[Entry]] = {}
    problems: list[str] = []
    header = None
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        try:
            data = loads_limited(text)
        except json.JSONDecodeError:
            last = number == len(lines)
            problems.append(
                f"line {number}: {'truncated last line' if last else 'not valid JSON'}, skipped"
            )
            continue
        except ValueError as exc:
            problems.append(f"line {number}: {exc}, skipped")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: not a JSON object, skipped")
            continue
        if header is None:
            assert data.get("format") == FORMAT
            header = data
            continue
        entry, problem = entry_from_json(data, set(KNOWN))
        if problem:
            problems.append(problem.replace("line 0:", f"line {number}:", 1))
        if entry is None:
            continue
        kept = entries.setdefault(entry.feed, [])
        if entry.item is None:
            if kept and entry.received_at < max(e.received_at for e in kept):
                when = iso_z(entry.received_at)
                problems.append(
                    f"line {number}: {entry.feed} time {when} goes back in time, skipped"
                )
                continue
            kept.append(entry)
        else:
            insort(kept, entry, key=lambda e: e.received_at)
    return entries, problems


def _line(kind: str, at: datetime, n: int) -> str:
    if kind == "telemetry":
        fields = {"Value": f"{700 + n % 13}.5", "TimeStamp": f"{2400 + n / 3600:.6f}"}
        data: dict[str, Any] = Entry(
            "telemetry", "", at, None, item=ITEMS[n % len(ITEMS)], fields=fields
        ).to_json()
    elif kind == "failure":
        data = Entry("position", "https://x.invalid/iss", at, 503, error="HTTP 503").to_json()
    else:
        data = Entry(kind, 'https://x.invalid/a?b="c"', at, 200, "text/plain", f"{n}").to_json()
    return json.dumps(data, ensure_ascii=False)


DAMAGE = (
    "",
    "not json",
    '{"feed": "telemetry", "received_at": "2025-04-08T05:00:00Z", "item": "X", "fields": {"V',
    '{"feed": "nowhere", "received_at": "2025-04-08T05:00:00Z", "url": "", "body": "x"}',
    '{"feed": "tle", "received_at": "soon", "url": "", "status": 200, "body": "x"}',
    '{"feed": "telemetry", "received_at": "2025-04-08T05:00:00Z", "item": "X", "fields": 5}',
    "[1, 2]",
    '{"feed": "telemetry", "received_at": "2025-04-08T05:00:00+00:00", "item": "USLAB000058",'
    ' "fields": {"Value": "1"}}',
)

step = st.tuples(
    st.sampled_from(("telemetry", "telemetry", "telemetry", "tle", "position", "failure")),
    st.integers(min_value=-20, max_value=40),  # seconds; back steps included
    st.one_of(st.none(), st.sampled_from(DAMAGE)),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, max_size=120), gz=st.booleans(), block=st.sampled_from((64, 700)))
def test_the_index_gives_what_every_line_gave(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, int, str | None]],
    gz: bool,
    block: int,
) -> None:
    # Small blocks, so the block-at-a-time pass (after the header's block) is what runs.
    monkeypatch.setattr(recording_index, "BLOCK_BYTES", block)
    end = iso_z(START + timedelta(days=1))
    header = {"format": FORMAT, "version": 1, "feeds": [], "start": iso_z(START), "end": end}
    lines = [json.dumps(header)]
    at = START
    for n, (kind, seconds, damage) in enumerate(steps):
        at += timedelta(seconds=seconds)
        lines.append(_line(kind, at, n) if damage is None else damage)
    text = ("\n".join(lines) + "\n").encode()
    path = tmp_path_factory.mktemp("r") / ("r.jsonl.gz" if gz else "r.jsonl")
    path.write_bytes(gzip.compress(text) if gz else text)
    expected, problems = reference_load(path)
    recording = load_recording(path, KNOWN)
    assert recording.entries == {feed: kept for feed, kept in expected.items() if kept}
    assert sorted(recording.problems) == sorted(problems)
    for feed, kept in expected.items():
        for entry in kept[:3] + kept[-3:]:
            at = entry.received_at
            assert recording.latest(feed, at) == [e for e in kept if e.received_at <= at][-1]
            later = [e for e in kept if e.received_at > at]
            assert recording.next_after(feed, at) == (later[0] if later else None)
    recording.close()


def _full_station(recording_entries: list[Entry], at: datetime) -> StationModel:
    """The station model as loading every update up to `at` made it."""
    model = StationModel()
    for update in TelemetryReplay(recording_entries, _NoClock()).due(at):
        model.apply_raw(update.item, update.fields, update.received_at)
    return model


def _window_station(
    recording: Recording, at: datetime, lookback: timedelta | None = None
) -> StationModel:
    model = StationModel()
    for batch in TelemetryReplay(recording, _NoClock()).due_batches(at, lookback):
        assert len(batch) <= TelemetryReplay.BATCH
        for update in batch:
            model.apply_raw(update.item, update.fields, update.received_at)
    return model


class _NoClock:
    speed = 1.0

    def now(self) -> datetime:
        raise AssertionError("not asked")

    async def sleep(self, seconds: float) -> None:
        raise AssertionError("not asked")


@pytest.fixture(scope="module")
def short_and_long(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, datetime]:
    """Two recordings from the same generator, one four times the other: the long one holds
    the short one's whole span and more. A time near the short one's end is in both."""
    folder = tmp_path_factory.mktemp("sizes")
    short, long_ = folder / "short.jsonl", folder / "long.jsonl.gz"
    _, last = write_big_recording(short, 0.4, step_s=300)
    write_big_recording(long_, 1.6, step_s=300)
    return short, long_, last - timedelta(minutes=4)


def test_what_a_replay_reads_from_scratch_does_not_grow_with_the_file(
    short_and_long: tuple[Path, Path, datetime],
) -> None:
    short_path, long_path, at = short_and_long
    short, long_ = load_recording(short_path, KNOWN), load_recording(long_path, KNOWN)
    assert long_.end - long_.start > 3 * (short.end - short.start)
    assert long_.index.size("telemetry") > 3 * short.index.size("telemetry")
    read = []
    for recording in (short, long_):
        recording.index.lines_read = 0
        _window_station(recording, at)
        read.append(recording.index.lines_read)
    assert read[0] == read[1]
    # The latest update of each item before the window, then the window's updates.
    items = len({e.item for e in short.entries["telemetry"]})
    window = sum(
        1 for e in short.entries["telemetry"] if at - TelemetryReplay.LOOKBACK < e.received_at <= at
    )
    assert read[0] == items + window
    assert window < short.index.size("telemetry") / 2


def test_lines_are_read_by_offset_whatever_the_shared_file_position(
    short_and_long: tuple[Path, Path, datetime],
) -> None:
    """issdash serve's sessions are forked from a parent that loaded the recording: they
    share its one open file, and so its position. Another process moving it between two
    reads (here: to the start, before each) must not change what a line reads."""
    short_path, _, _ = short_and_long
    before = set(os.listdir("/proc/self/fd"))
    shared = load_recording(short_path, KNOWN)
    opened = [int(fd) for fd in set(os.listdir("/proc/self/fd")) - before]
    assert opened
    alone = load_recording(short_path, KNOWN)
    for feed in shared.feeds:
        for i in range(shared.index.size(feed)):
            for fd in opened:
                os.lseek(fd, 0, os.SEEK_SET)
            assert shared.index.entry(feed, i) == alone.index.entry(feed, i)
    assert shared.problems == alone.problems == []


def test_the_answer_at_a_time_is_the_full_loads(
    short_and_long: tuple[Path, Path, datetime],
) -> None:
    _, long_path, at = short_and_long
    long_ = load_recording(long_path, KNOWN)
    full = _full_station(long_.entries["telemetry"], at).to_json(at)
    full_since = full.pop("signal_since")
    # The dashboard's window (an hour of sparklines) and status's (the current values).
    for lookback in (TelemetryReplay.LOOKBACK, TelemetryReplay.CURRENT_LOOKBACK):
        windowed = _window_station(long_, at, lookback).to_json(at)
        # One thing differs, by design: an unbroken signal is said to be up since the
        # window's start at the earliest (the replay connects there, as a stream client would).
        assert full_since <= windowed.pop("signal_since") <= iso_z(at)
        assert windowed == full
    for feed in ("position", "tle"):
        kept = long_.entries[feed]
        assert long_.latest(feed, at) == [e for e in kept if e.received_at <= at][-1]
        assert long_.next_after(feed, at) == next(e for e in kept if e.received_at > at)
    times = [e.received_at for e in long_.entries["position"]]
    gaps = sorted((b - a).total_seconds() for a, b in pairwise(times))
    assert long_.cadence_s("position") == gaps[len(gaps) // 2]


def test_a_line_that_only_looks_right_is_skipped_when_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recording_index, "BLOCK_BYTES", 256)
    path = tmp_path / "r.jsonl"
    writer = RecordingWriter(path, ["telemetry"], START, "test")
    good = {"Value": "743.3", "TimeStamp": "2400.5"}
    for n in range(6):
        at = START + timedelta(seconds=10 * n)
        writer.write(Entry("telemetry", "", at, None, item="USLAB000058", fields=good))
    writer.close()
    lines = path.read_text().splitlines(keepends=True)
    # Written as the writer writes, but a number where a string must be.
    lines[4] = lines[4].replace('"743.3"', "743.3")
    path.write_text("".join(lines))
    recording = load_recording(path, KNOWN)
    assert recording.problems == []  # not parsed yet: the first pass did not look inside
    before, later = START - timedelta(seconds=1), START + timedelta(hours=1)
    updates = list(recording.updates("telemetry", before, later, timedelta(0)))
    assert [u.received_at for u in updates] == [
        START + timedelta(seconds=10 * n) for n in (0, 1, 2, 4, 5)
    ]
    assert len(recording.problems) == 1
    assert recording.problems[0].endswith(": update fields must be strings or null, skipped")
    assert recording.problems[0].startswith("the line at byte ")


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("where", [0, 3, 6])
def test_a_line_too_long_to_hold_is_skipped_and_the_rest_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool, where: int
) -> None:
    """One line of 200 MB once made a recording's first pass hold 670 MB: a line longer than
    the cap is never held whole (scaled down: a 64 KB line, a 4 KB cap, 1 KB blocks), it is
    named and skipped, and every other line is kept at its place. A file that is nothing but
    such a line is refused, saying why."""
    monkeypatch.setattr(recording_index, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(recording_index, "MAX_LINE_BYTES", 4096)
    path = tmp_path / "r.jsonl"
    writer = RecordingWriter(path, ["tle"], START, "test")
    for n in range(6):
        writer.write(Entry("tle", "u", START + timedelta(seconds=n), 200, "text/plain", f"{n}"))
    writer.close()
    lines = path.read_text().splitlines(keepends=True)
    long_line = '{"feed": "tle", "body": "' + "x" * 65536 + '"}\n'
    lines.insert(where, long_line)
    text = "".join(lines).encode()
    if gz:
        path = tmp_path / "r.jsonl.gz"
        path.write_bytes(gzip.compress(text))
    else:
        path.write_bytes(text)
    recording = load_recording(path, KNOWN)
    assert recording.problems == [f"line {where + 1}: over 4,096 bytes"]
    assert [e.body for e in recording.entries["tle"]] == [str(n) for n in range(6)]
    recording.close()
    only = tmp_path / "only.jsonl"
    only.write_text(long_line * 2)
    with pytest.raises(RecordingError, match=r"no header \(line 1: over 4,096 bytes\)"):
        load_recording(only, KNOWN)
