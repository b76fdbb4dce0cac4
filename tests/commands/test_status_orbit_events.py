"""`issdash status --json` with NASA's trajectory as a file: `orbit.events` lists its reboost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from issdash.commands.cli import main
from tests.support.oem_sample import REBOOST_2022_JSON, kvn_2022


def test_status_lists_the_reboost_of_the_trajectory_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "ISS.OEM_J2K_EPH.txt"
    path.write_text(kvn_2022())
    monkeypatch.setenv("ISSDASH_FEEDS__OEM__URL", path.as_uri())
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", "http://127.0.0.1:9/gp")
    for feed in ("POSITION", "CREW", "ASTROS", "DOCKED", "LAUNCHES", "DOCKINGS", "SUPGP"):
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed}__ENABLED", "false")
    code = main(["status", "--json", "--at", "2022-02-24T00:00:00Z", "--timeout", "2"])
    assert code in (0, 3)  # the TLE feed is down: degraded, whatever the orbit says
    status = json.loads(capsys.readouterr().out)
    assert status["orbit"]["events"] == [REBOOST_2022_JSON]
