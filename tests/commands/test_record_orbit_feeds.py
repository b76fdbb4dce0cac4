"""`issdash record` records NASA's trajectory and CelesTrak's fitted segments like every
feed, and a replay of the recording gives them back: the same states, the same segments."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import issdash.commands.record as record_module
from issdash.commands.record import record
from issdash.config.settings import FEED_NAMES, load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.adapters.oem import parse_oem
from issdash.feeds.adapters.supgp import parse_supgp
from issdash.feeds.clock import FrozenClock
from issdash.feeds.recording import Entry, RecordingWriter
from issdash.feeds.registry import OEM, SUPGP
from issdash.feeds.sources import RawResponse
from scripts.fixtures.faultserver import FaultServer
from scripts.fixtures.orbit_feeds import oem_text, supgp_json

T0 = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)
ORBIT_FEEDS = ("oem", "supgp")


async def test_record_from_the_fault_server_then_replay_gives_the_same_trajectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopped once both answers are in the file (the writer's own count), not after a fixed
    # pause: a 0.5 s sleep after the requests came failed on a loaded machine.
    written = threading.Event()

    class WatchedWriter(RecordingWriter):
        def write(self, entry: Entry) -> bool:
            kept = super().write(entry)
            if self.count >= len(ORBIT_FEEDS):
                written.set()
            return kept

    monkeypatch.setattr(record_module, "RecordingWriter", WatchedWriter)
    feeds: dict[str, Any] = {n: {"enabled": False} for n in FEED_NAMES}
    out = tmp_path / "orbit.jsonl.gz"
    with FaultServer("good") as server:
        for name in ORBIT_FEEDS:
            feeds[name] = {"url": server.url(name)}
        settings = load_settings(cache_dir=tmp_path / "cache", feeds=feeds)
        stop = asyncio.Event()
        task = asyncio.create_task(
            record(settings, out, None, None, "orbit feeds", clock=FrozenClock(T0), stop=stop)
        )
        deadline = time.monotonic() + 120  # bounds a hang only
        while not written.is_set() and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        summary = await task
    assert (summary.good, summary.errors) == (2, 0)

    recording = load_demo_recording(out)
    assert set(recording.feeds) == set(ORBIT_FEEDS) and recording.problems == []
    replay = Runtime.for_demo(load_settings(), recording, FrozenClock(T0))
    await replay.gather_once(10.0)
    state = replay.store.state
    oem, supgp = state.latest(OEM), state.latest(SUPGP)
    direct = RawResponse("x", 200, "text/plain", oem_text(), T0)
    assert oem is not None and oem.value.states == parse_oem(direct, T0).states
    assert oem.value.events == parse_oem(direct, T0).events
    fitted = parse_supgp(RawResponse("x", 200, "application/json", supgp_json(), T0), T0)
    assert supgp is not None and supgp.value.segments == fitted.segments
    assert len(oem.value.states) > 1000 and len(supgp.value.segments) > 10
