"""A newcomer finds any feature's files from docs/architecture.md: under "Where each feature
lives", the section of each top folder names every module in it, so a module added without
a word there fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MAP = ROOT / "docs" / "architecture.md"


def sections() -> dict[str, str]:
    """Each '### ... `folder/`' section's text, by its folder."""
    found: dict[str, str] = {}
    for part in MAP.read_text().split("\n### ")[1:]:
        heading, _, body = part.partition("\n")
        folder = re.search(r"`([\w/]+/)`", heading)
        if folder:
            found[folder.group(1)] = body
    return found


def test_each_folders_section_names_every_module_in_it() -> None:
    by_folder = sections()
    assert {"app/commands/", "app/tui/", "widgets/", "app/core/", "app/config/"} <= set(by_folder)
    missing = []
    for top in ("app", "widgets", "feeds"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.name in ("__init__.py", "__main__.py"):
                continue
            relative = path.relative_to(ROOT).as_posix()
            homes = [f for f in by_folder if relative.startswith(f)]
            assert homes, f"no section for {relative}"
            body = by_folder[max(homes, key=len)]
            subfolder = relative[len(max(homes, key=len)) :].rpartition("/")[0]
            if path.name not in body or (subfolder and f"{subfolder.split('/')[-1]}/" not in body):
                missing.append(relative)
    assert missing == []
