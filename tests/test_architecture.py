"""The layers hold at run time: the non-UI packages load without Textual or Rich.

The import-linter contracts in pyproject.toml check the imports written in the source; this
checks what really loads, in a fresh interpreter (a test process has Textual loaded already),
including imports made inside functions and anything a third-party library pulls in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every module of these is imported; the process-core modules are named one by one.
NON_UI_PACKAGES = ("feeds", "app.model")
NON_UI_MODULES = ("app.settings", "app.runtime", "app.recorder", "app.cli")
UI = ("textual", "rich")


def run_isolated(code: str) -> dict[str, list[str]]:
    """Run `code` in a fresh interpreter; it prints a JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 3), done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_non_ui_packages_never_load_textual_or_rich() -> None:
    result = run_isolated(
        f"""
        import importlib, json, pkgutil, sys
        imported = []
        for name in {NON_UI_PACKAGES!r}:
            package = importlib.import_module(name)
            imported.append(name)
            for info in pkgutil.walk_packages(package.__path__, name + "."):
                importlib.import_module(info.name)
                imported.append(info.name)
        for name in {NON_UI_MODULES!r}:
            importlib.import_module(name)
            imported.append(name)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {UI!r})
        print(json.dumps({{"imported": imported, "loaded": loaded}}))
        """
    )
    # The walk really covered the packages (a broken walk must not pass vacuously).
    assert {"feeds.adapters.tle", "feeds.poller", "app.model.state", "app.model.orbit"} <= set(
        result["imported"]
    )
    assert result["loaded"] == []


def test_status_runs_without_textual_or_rich() -> None:
    """`issdash status` is the whole non-UI path: settings, runtime, adapters, model."""
    result = run_isolated(
        """
        import contextlib, io, json, sys
        from app.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["status", "--json", "--demo", "--at", "2025-04-08T09:00:00Z"])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
        print(json.dumps({"code": [str(code)], "loaded": loaded}))
        """
    )
    assert result["code"] in (["0"], ["3"])
    assert result["loaded"] == []
