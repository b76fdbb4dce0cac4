"""The dashboard's pass feature on a plain Textual app: a `PassesControl` whose host is a
demo runtime and no dashboard (tests/tui/test_passes_view.py, test_pass_moves_app.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import App

from issdash.config.settings import Settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.feeds.values import ElementSet
from issdash.model.map.glyphs import BRAILLE
from issdash.model.mission_bar import MissionBarView
from issdash.model.orbit import OrbitEngine
from issdash.tui.passes.control import PassesControl, PassesHost


def bare_passes_control(
    app: App[None],
    settings: Settings,
    at: datetime,
    *,
    engine_for: Callable[[ElementSet], OrbitEngine | None] = lambda _elements: None,
    redraw: Callable[[], None] = lambda: None,
) -> tuple[PassesControl, Runtime]:
    """The control and the MS-27 demo runtime it reads, frozen at `at`."""
    runtime = Runtime.for_demo(settings, load_demo_recording(), FrozenClock(at))
    control = PassesControl(
        PassesHost(
            app=app,
            settings=settings,
            store=runtime.store,
            clock=runtime.clock,
            kiosk=None,
            glyphs=BRAILLE,
            bar_view=lambda state, now: MissionBarView(now, state.mode, 1.0),
            engine_for=engine_for,
            tick_s=lambda: 1.0,
            kiosk_widgets=lambda: (None, None),
            redraw=redraw,
        )
    )
    return control, runtime
