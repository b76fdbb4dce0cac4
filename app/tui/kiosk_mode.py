"""Kiosk mode on screen: locked down once, then every tick the panel the cycle emphasises,
the burn-in shift and the dim schedule (the logic is issdash.model.kiosk's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from textual.app import App
from textual.containers import VerticalScroll
from textual.widget import Widget

from issdash.model.kiosk import KioskController


def lock_down(app: App[Any]) -> None:
    """No footer, no key hints (the `-kiosk` class), no focus outline on a wall screen."""
    app.add_class("-kiosk")
    for panel in app.query(VerticalScroll):
        panel.can_focus = False


def show_kiosk_frame(
    app: App[Any],
    kiosk: KioskController,
    boxes: Iterable[tuple[str | None, Widget]],
    now: datetime,
    zone: tzinfo | None,
) -> None:
    """`boxes`: each panel's box with its name in the cycle (None: never emphasised). The
    app's `-emphasis-<name>` says which view is on (the planner's replaces the map and
    crew); the box's `-emphasized` outlines it. The dim schedule is in `zone`'s local time."""
    view = kiosk.view()
    for name, box in boxes:
        if name is not None:
            app.set_class(name == view, f"-emphasis-{name}")
            box.set_class(name == view, "-emphasized")
    top, left = kiosk.shift()
    app.screen.styles.padding = (top, 1 - left, 1 - top, left)
    app.set_class(kiosk.dimmed(now.astimezone(zone)), "-dim")
