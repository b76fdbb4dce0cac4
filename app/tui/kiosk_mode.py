"""Kiosk mode on screen: locked down once, then every tick the panel the cycle emphasises,
the burn-in shift and the dim schedule (the logic is issdash.model.kiosk's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from textual.app import App
from textual.containers import VerticalScroll

from issdash.model.kiosk import KioskController
from issdash.tui.panels import Mounted


def lock_down(app: App[Any]) -> None:
    """No footer, no key hints (the `-kiosk` class), no focus outline on a wall screen."""
    app.add_class("-kiosk")
    for panel in app.query(VerticalScroll):
        panel.can_focus = False


def show_kiosk_frame(
    app: App[Any],
    kiosk: KioskController,
    panels: Iterable[Mounted],
    now: datetime,
    zone: tzinfo | None,
) -> None:
    """Each panel with a name in the cycle (`Panel.kiosk`): the app's `-emphasis-<name>`
    says which view is on (the planner's replaces the map and crew); the panel's box's
    `-emphasized` outlines it. The dim schedule is in `zone`'s local time."""
    view = kiosk.view()
    for mounted in panels:
        name = mounted.panel.kiosk
        if name is not None:
            app.set_class(name == view, f"-emphasis-{name}")
            mounted.box.set_class(name == view, "-emphasized")
    top, left = kiosk.shift()
    app.screen.styles.padding = (top, 1 - left, 1 - top, left)
    app.set_class(kiosk.dimmed(now.astimezone(zone)), "-dim")
