"""Widgets that hand the compositor the lines they drew last while nothing of theirs changed.

Textual repaints one box spanning every changed row: with the clock in the top bar and the
feed ages in the bottom strip changing each second, every widget on screen is asked for its
lines every second. Textual keeps each widget's lines until a refresh, but still redoes the
work around them on each request (the background colours through all the ancestors, border
titles, the line filters over every row): most of an idle repaint went to widgets that
showed nothing new. These widgets keep the list of lines they returned and return it again
until something that changes their lines happens: a refresh of any kind (how Textual itself
learns of new content, styles, a size or a theme), a style update, another crop, size, set of
line filters or hover style (the only inputs Textual applies outside its own line cache).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

# Not a widget class itself: Textual's CSS follows a class's first widget base only, so a
# mixin that were one would cut `Box(KeptRender, Vertical)` off Vertical's default CSS.
if TYPE_CHECKING:
    _Mixin = Widget
else:
    _Mixin = object


class KeptRender(_Mixin):
    """Mix in before the widget class: `class Box(KeptRender, Vertical)`."""

    # What the last lines were drawn for, and the lines (a class default: Textual may call
    # `refresh` before `__init__` has run to its end).
    _kept_for: tuple[object, ...] | None = None
    _kept_lines: list[Strip] = []

    def render_lines(self, crop: Region) -> list[Strip]:
        key = (crop, self.size, *self.get_line_filters(), self.hover_style)
        if key == self._kept_for:
            return self._kept_lines
        lines = super().render_lines(crop)
        self._kept_for, self._kept_lines = key, lines
        return lines

    def forget_render(self) -> None:
        """Draw the lines again at the next request."""
        self._kept_for = None

    def refresh(self, *regions: Region, **kwargs: Any) -> Self:
        self.forget_render()
        return super().refresh(*regions, **kwargs)

    def notify_style_update(self) -> None:
        self.forget_render()
        super().notify_style_update()
