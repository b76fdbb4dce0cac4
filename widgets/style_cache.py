"""Component styles kept between refreshes, for panels that redraw every second.

Textual drops a widget's cache of component styles on every refresh, so a panel that
refreshes each second and builds its Text from a dozen component styles re-resolved them all
(each walking the DOM for background colours) every time: a large part of an idle tick. These
panels keep them until their styles really change, and then redraw with the new ones.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.widget import Widget


class KeptStyles(Widget):
    """Subclasses use `component_style` and implement `restyle` (redraw with new styles)."""

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._kept_styles: dict[str, Style] = {}

    def component_style(self, name: str) -> Style:
        """A component class's Rich style, kept until the widget's styles change."""
        style = self._kept_styles.get(name)
        if style is None:
            style = self._kept_styles[name] = self.get_component_rich_style(name)
        return style

    def notify_style_update(self) -> None:
        # Textual calls this before it updates the component styles (on a theme change, for
        # one), so the redraw waits for the next turn of the message loop and forgets what
        # it kept once more then.
        super().notify_style_update()
        self._kept_styles.clear()
        if self.is_mounted:
            self.call_later(self._restyle_now)

    def _restyle_now(self) -> None:
        self._kept_styles.clear()
        self.restyle()

    def restyle(self) -> None:
        """Redraw with the styles as they are now."""
        raise NotImplementedError
