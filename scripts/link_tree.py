"""Lay a tree of links with the installed layout of the `issdash` package, for the tools that
cannot follow the editable install's import hook (mypy, import-linter, the import-cycle test).

Installed, `app/` is the package `issdash` and `widgets/` and `feeds/` are its subpackages
(pyproject.toml's package-dir). The editable install maps those names with an import hook;
mypy and grimp (import-linter's graph) look for a directory named `issdash` on the path
instead. This lays one: DEST/issdash/ holds a link to each entry of app/ and to widgets/ and
feeds/, so files added inside any of them are seen without laying it again.

    python scripts/link_tree.py .venv/src-link
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lay_link_tree(dest: Path) -> Path:
    """Lay DEST/issdash afresh and return DEST (the directory to put on the path)."""
    package = dest / "issdash"
    if package.is_symlink() or package.is_file():
        package.unlink()
    elif package.exists():
        shutil.rmtree(package)
    package.mkdir(parents=True)
    entries = [e for e in sorted((ROOT / "app").iterdir()) if e.name != "__pycache__"]
    for entry in [*entries, ROOT / "widgets", ROOT / "feeds"]:
        (package / entry.name).symlink_to(entry)
    return dest


if __name__ == "__main__":
    lay_link_tree(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".venv" / "src-link")
