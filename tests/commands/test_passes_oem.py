"""`issdash passes` with NASA's trajectory as a file: the passes inside its span come from it,
and each says so (`orbit_source`); past its end the elements take over, and where they cannot
place the station the passes are withheld with the reason."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from issdash.commands.cli import main
from issdash.feeds.registry import FEED_NAMES
from scripts.fixtures.oem import build_trajectory, write_kvn
from tests.support.oem_sample import START_2022


def _point_at(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__OEM__URL", path.as_uri())
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "http://127.0.0.1:9/gp")
    for feed in FEED_NAMES:
        if feed not in ("oem", "tle"):
            monkeypatch.setenv(f"ISSDASH_FEEDS__{feed.upper()}__ENABLED", "false")


def test_passes_inside_the_span_come_from_the_trajectory_and_stop_at_its_end(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "ISS.OEM_J2K_EPH.txt"
    trajectory = build_trajectory(START_2022, hours=48.0, step_s=240.0, burn=None)
    path.write_text(write_kvn(trajectory, []))
    _point_at(monkeypatch, path)
    at = START_2022 + timedelta(hours=1)
    args = ["passes", "--json", "--observer", "42.36,-71.06", "--days", "3"]
    code = main([*args, "--at", at.isoformat(), "--timeout", "2"])
    assert code == 3  # the element feed is down, and the last day is withheld
    answer = json.loads(capsys.readouterr().out)
    passes = answer["passes"]
    assert passes, "a two-day trajectory over Boston has passes"
    assert {p["orbit_source"] for p in passes} == {"nasa-oem"}
    end = "2022-02-13T12:00:00Z"
    assert all(p["rise"] < end for p in passes)
    # The only elements are the bundled 2025 set: they cannot place the station in 2022.
    assert answer["withheld_after"] == end
    assert any("NASA's trajectory ends there" in n for n in answer["notices"])
