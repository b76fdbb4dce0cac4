"""The look shared by the panels of labelled numbers (telemetry, station): one palette, so
the two panels side by side say "label", "value", "warning" and "alarm" in the same colours.

Each panel adds the classes only it has (the station's sparklines, the telemetry's sun and
shadow) and keeps its own muted and good tones, which differ on purpose: the station's
readings are dimmer while the signal is lost, and its AOS badge is bold.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text

from issdash.widgets.text_lines import TextLines

SHARED = frozenset({"label", "value", "warn", "alarm"})


class Readout(TextLines):
    """A `TextLines` panel with the shared palette; `PREFIX` names the panel's own classes."""

    PREFIX: ClassVar[str] = "readout"

    COMPONENT_CLASSES = {f"readout--{name}" for name in SHARED}

    DEFAULT_CSS = """
    Readout { height: auto; padding: 0 1; }
    Readout > .readout--label { color: $foreground-darken-2; }
    Readout > .readout--value { color: $foreground; text-style: bold; }
    Readout > .readout--warn { color: $warning; text-style: bold; }
    Readout > .readout--alarm { color: $error; text-style: bold reverse; }
    """

    def _s(self, name: str) -> Style:
        return self.component_style(
            f"readout--{name}" if name in SHARED else f"{self.PREFIX}--{name}"
        )

    def _label_rows(self, rows: list[tuple[str, Text]]) -> list[Text]:
        """Each row as its label, padded to the longest label, then its value."""
        label_style = self._s("label")
        width = max(len(label) for label, _ in rows) + 1
        lines = []
        for label, value in rows:
            line = Text(label.ljust(width), style=label_style, no_wrap=True, overflow="ellipsis")
            line.append_text(value)
            lines.append(line)
        return lines
