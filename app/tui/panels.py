"""Panels added to the dashboard by declaration: one entry each, nothing else to edit.

The dashboard's original panels (map, crew, telemetry, countdown) are laid out by hand in
`dashboard.py`. A new panel (station systems, a pass planner...) is one `Panel` entry in
`PANELS` below, a pure view builder in `app/model/` and a widget in `widgets/` (see
docs/architecture.md): the dashboard mounts it in its column with a bordered title and sets
its view on every tick. Its size and looks belong in the widget's DEFAULT_CSS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, Protocol, TypeVar

from textual.widget import Widget

from issdash.model.state import MissionState

W = TypeVar("W", bound=Widget)


@dataclass(frozen=True, slots=True)
class Panel(Generic[W]):
    """One declared panel: `widget()` makes it, `show(widget, state, now)` gives it its view
    for the moment (typically `widget.view = build_view(state, now)`, pure, from issdash.model)."""

    id: str
    title: str
    column: Literal["left", "side"]
    widget: Callable[[], W]
    show: Callable[[W, MissionState, datetime], None]

    def mount_show(self) -> tuple[Widget, Callable[[MissionState, datetime], None]]:
        """A new widget and the call that updates it (typed here, where W is known)."""
        widget = self.widget()
        return widget, lambda state, now: self.show(widget, state, now)


class Declared(Protocol):
    """Any `Panel[W]`, whatever its widget type (what the dashboard needs of one)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def column(self) -> Literal["left", "side"]: ...
    def mount_show(self) -> tuple[Widget, Callable[[MissionState, datetime], None]]: ...


# The declared panels, in order within their column (below the hand-laid ones). `show` is
# given the state with answers too old to describe now set aside (issdash.model.certainty.trusted).
PANELS: tuple[Declared, ...] = ()
