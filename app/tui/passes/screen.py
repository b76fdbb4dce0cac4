"""The pass planner's own screen (key p, or the palette's "Passes: ..." commands).

Full screen rather than a modal: a pass is one row of eight columns (date, local and UTC
start, length, height, three compass points, magnitude, visibility) and the sky chart needs a
square of its own; at 80x24 a modal box would leave neither readable. The mission bar stays
on top so the time (and a replay's state) is always in view; escape, p or q go back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Footer

from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.widgets.mission_bar import MissionBar
from issdash.widgets.passes.planner import PassesView

if TYPE_CHECKING:
    from issdash.tui.dashboard import IssDashApp


class PassesScreen(Screen[None]):
    """Ten days of passes, the selected one's sky chart, a visible-only filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,p,q", "dismiss", "Back"),
        Binding("v", "visible_only", "Visible only"),
    ]

    DEFAULT_CSS = """
    PassesScreen { layout: vertical; }
    """

    def __init__(self, visible_only: bool = False, glyphs: MapGlyphs = BRAILLE) -> None:
        super().__init__()
        self.visible_only = visible_only
        self.bar = MissionBar(id="passes-bar")
        self.planner = PassesView(id="passes-view", glyphs=glyphs)

    def compose(self) -> ComposeResult:
        yield self.bar
        yield self.planner
        yield Footer()

    def on_mount(self) -> None:
        self.planner.table.focus()
        self.refresh_views()

    def refresh_views(self) -> None:
        control = getattr(self.app, "passes_control", None)
        if control is not None:
            control.refresh()

    def action_visible_only(self) -> None:
        self.visible_only = not self.visible_only
        self.notify("Visible passes only" if self.visible_only else "All passes", timeout=1.5)
        self.refresh_views()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class PassCommands(Provider):
    """Command palette: open the planner, and one command per coming visible pass."""

    def _app(self) -> IssDashApp:
        from issdash.tui.dashboard import IssDashApp

        assert isinstance(self.app, IssDashApp)
        return self.app

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self._app()
        if app.kiosk is not None:
            return []  # locked: no palette commands at all
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                "Passes: show the pass planner",
                "Ten days of passes and the sky chart (key p)",
                partial(app.passes_control.open, False),
            ),
            (
                "Passes: visible passes only",
                "The planner, filtered to passes you can see",
                partial(app.passes_control.open, True),
            ),
        ]
        for label, chosen in app.passes_control.coming_visible():
            commands.append(
                (
                    f"Passes: {label}",
                    "Show this pass's sky chart",
                    partial(app.passes_control.open, True, chosen),
                )
            )
        return commands

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands()[:2]:
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
