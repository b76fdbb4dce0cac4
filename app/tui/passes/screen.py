"""The pass planner's own screen (key p, or the palette's "Passes: ..." commands).

Full screen rather than a modal: a pass is one row of eight columns (date, local and UTC
start, length, height, three compass points, magnitude, visibility) and the sky chart needs a
square of its own; at 80x24 a modal box would leave neither readable. The mission bar stays
on top so the time (and a replay's state) is always in view; escape, p or q go back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.widgets.mission_bar import MissionBar

if TYPE_CHECKING:
    from issdash.widgets.passes.planner import PassPlanner


class PassPlannerScreen(Screen[None]):
    """Ten days of passes, the selected one's sky chart, a visible-only filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,p,q", "dismiss", "Back"),
        Binding("v", "visible_only", "Visible only"),
    ]

    DEFAULT_CSS = """
    PassPlannerScreen { layout: vertical; }
    """

    def __init__(
        self,
        visible_only: bool = False,
        glyphs: MapGlyphs = BRAILLE,
        on_change: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.visible_only = visible_only
        # Draws the planner's views again (the pass feature's `PassesControl.refresh`).
        self._on_change = on_change
        self.bar = MissionBar(id="passes-bar")
        # Imported when the screen is first opened: the planner (its table, its sky chart and
        # their models) is not on the dashboard's first screen, so its start does not load it.
        from issdash.widgets.passes.planner import PassPlanner

        self.planner: PassPlanner = PassPlanner(id="passes-view", glyphs=glyphs)

    def compose(self) -> ComposeResult:
        yield self.bar
        yield self.planner
        yield Footer()

    def on_mount(self) -> None:
        self.planner.table.focus()
        self.refresh_views()

    def refresh_views(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def action_visible_only(self) -> None:
        self.visible_only = not self.visible_only
        self.notify("Visible passes only" if self.visible_only else "All passes", timeout=1.5)
        self.refresh_views()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
