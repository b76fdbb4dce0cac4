"""The layers hold at run time: the non-UI packages load without Textual or Rich.

The import-linter contracts in pyproject.toml check the imports written in the source; this
checks what really loads, in a fresh interpreter (a test process has Textual loaded already),
including imports made inside functions and anything a third-party library pulls in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from issdash.feeds.clock import FrozenClock
from tests.support.processes import run_isolated

ROOT = Path(__file__).resolve().parent.parent.parent

# Every module of these is imported; the process-core modules are named one by one.
NON_UI_PACKAGES = ("issdash.feeds", "issdash.model", "issdash.config", "issdash.core")
NON_UI_MODULES = (
    "issdash.commands.record",
    "issdash.commands.cli",
)
UI = ("textual", "rich")


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
    assert {
        "issdash.feeds.adapters.tle",
        "issdash.feeds.poller",
        "issdash.model.state",
        "issdash.model.orbit",
    } <= set(result["imported"])
    assert result["loaded"] == []


def test_status_runs_without_textual_or_rich() -> None:
    """`issdash status` is the whole non-UI path: settings, runtime, adapters, model."""
    result = run_isolated(
        """
        import contextlib, io, json, sys
        from issdash.commands.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["status", "--json", "--demo", "--at", "2025-04-08T09:00:00Z"])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
        print(json.dumps({"code": [str(code)], "loaded": loaded}))
        """
    )
    assert result["code"] in (["0"], ["3"])
    assert result["loaded"] == []


# -- the recipes of docs/architecture.md work as written --------------------------------


async def test_a_declared_panel_is_mounted_titled_and_shown_every_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.widgets import Static

    from issdash.config.settings import load_settings
    from issdash.core.runtime import Runtime, load_demo_recording
    from issdash.tui import panels
    from issdash.tui.dashboard import IssDashApp
    from issdash.tui.frame import Frame

    def show_version(widget: Static, frame: Frame) -> None:
        widget.update(f"state {frame.state.version} at {frame.now:%H:%M:%S}")

    toy = panels.Panel(
        id="toy", title="Toy panel", column="side", widget=lambda _: Static(), show=show_version
    )
    monkeypatch.setattr(panels, "PANELS", (*panels.PANELS, toy))
    at = datetime(2025, 4, 8, 9, 0, tzinfo=UTC)
    runtime = Runtime.for_demo(load_settings(), load_demo_recording(), FrozenClock(at))
    app = IssDashApp(runtime, start_feeds=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        box = app.query_one("#toy-panel")
        assert box.parent is not None and box.parent.id == "side"
        assert box.border_title == "Toy panel"
        shown = str(box.query_one(Static).content)
        assert shown.startswith("state ") and shown.endswith("at 09:00:00")


def test_a_new_feed_is_one_registry_entry() -> None:
    """Settings, the runtime's specs and the state's typed values follow the registry alone:
    in a fresh interpreter, a feed is added to the registry before anything reads it."""
    result = run_isolated(
        """
        import json
        from dataclasses import dataclass
        from datetime import UTC, datetime

        from issdash.feeds import registry

        @dataclass(frozen=True)
        class ToyReading:
            value: float

        def parse_toy(raw, now):
            return ToyReading(float(raw.body))

        toy = registry.FeedDef(
            name="toy", parse=parse_toy, value_type=ToyReading,
            url="http://127.0.0.1:9/toy", interval_s=30.0, min_interval_s=10.0,
        )
        # The one edit the recipe asks for: the entry in FEEDS (names and index follow).
        registry.FEEDS = (*registry.FEEDS, toy)
        registry.FEED_NAMES = tuple(f.name for f in registry.FEEDS)
        registry.BY_NAME = {f.name: f for f in registry.FEEDS}

        from issdash.core.runtime import Runtime
        from issdash.config.settings import load_settings
        from issdash.feeds.clock import FrozenClock
        from issdash.feeds.poller import FeedUpdate

        at = datetime(2025, 4, 8, 9, 0, tzinfo=UTC)
        out = {}
        settings = load_settings(feeds={"toy": {"interval_s": 60}})
        out["interval"] = [settings.feeds.get("toy").interval_s]
        try:
            load_settings(feeds={"toy": {"interval_s": 1}})
            out["floor"] = ["accepted"]
        except ValueError as exc:
            out["floor"] = ["must be at least 10 seconds" in str(exc)]
        runtime = Runtime(settings, FrozenClock(at))
        out["spec"] = [runtime.spec("toy").parse is parse_toy, "toy" in runtime.store.state.feeds]
        runtime.store.publish(FeedUpdate("toy", ToyReading(4.5), at))
        latest = runtime.store.state.latest(toy)
        runtime.store.publish(FeedUpdate("toy", "4.5", at))  # not what the entry says it gives
        out["latest"] = [latest.value.value, runtime.store.state.latest(toy) == latest]
        print(json.dumps(out))
        """
    )
    assert result == {
        "interval": [60.0],
        "floor": [True],
        "spec": [True, True],
        "latest": [4.5, True],
    }
