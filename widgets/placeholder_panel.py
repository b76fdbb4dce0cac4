"""A bordered panel that says plainly what is not connected yet."""

from __future__ import annotations

from textual.widgets import Static


class PlaceholderPanel(Static):
    DEFAULT_CSS = """
    PlaceholderPanel { color: $foreground-darken-2; padding: 0 1; }
    """
