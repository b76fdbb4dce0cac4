"""The pass planner in the command palette: open it (all passes, or the visible ones only),
and one command per coming visible pass, which opens it on that pass's sky chart."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from issdash.tui.passes.control import PassesControl


@runtime_checkable
class HasPassPlanner(Protocol):
    """An app with the pass feature (the dashboard)."""

    passes_control: PassesControl


class PassCommands(Provider):
    """Command palette: open the planner, and one command per coming visible pass."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        if not isinstance(app, HasPassPlanner):
            return []
        control = app.passes_control
        if control.host.kiosk is not None:
            return []  # locked: no palette commands at all
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                "Passes: show the pass planner",
                "Ten days of passes and the sky chart (key p)",
                partial(control.open, False),
            ),
            (
                "Passes: visible passes only",
                "The planner, filtered to passes you can see",
                partial(control.open, True),
            ),
        ]
        for label, chosen in control.coming_visible():
            commands.append(
                (
                    f"Passes: {label}",
                    "Show this pass's sky chart",
                    partial(control.open, True, chosen),
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
