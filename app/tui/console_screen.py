"""The whole screen in characters the Linux console can draw (console glyph mode).

Widgets choose console glyphs where the choice means something (the map's block elements,
flags as letters). Everything else on screen, Textual's own scrollbars and footer included,
passes through this filter on its way to the terminal: each character the console font lacks
becomes the substitute `issdash.model.terminal.console_font` gives, one cell for one cell, so the
layout never moves. Characters with no meaningful substitute are drawn as "?" and remembered in
`missing`, so a test can insist there are none.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from issdash.model.terminal.console_font import CONSOLE_CHARS, console_text, missing_glyph


class ConsoleGlyphs(LineFilter):
    """Replace what the console font cannot show (see module docstring)."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled)
        self.missing: set[str] = set()

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out: list[Segment] = []
        for segment in segments:
            text = segment.text
            if segment.control or all(c in CONSOLE_CHARS for c in text):
                out.append(segment)
                continue
            self.missing.update(c for c in text if missing_glyph(c))
            out.append(Segment(console_text(text), segment.style, segment.control))
        return out
