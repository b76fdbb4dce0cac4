"""The help screen: keys, the map's legend and what the numbers mean (key ?)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from issdash.feeds.text import clean_text

# Our own text, so markup is safe here (feed text never is). Colours match the map's.
HELP_MARKUP = """\
[b]issdash[/b]: the International Space Station, in your terminal.

[b $accent]Map[/]
  [$error]◉[/]  the station now       [$primary]━━[/]  past track (45 min)
  [$accent]⌂[/]  your observer         [$warning]━━[/]  future track (1.5 orbits)
  [$success]⣿[/]  land                  [$foreground-darken-1]◌[/]   footprint (above the horizon)
  [$error]○[/]  elements over 3 days old: approximate; over 14 days, a [$error]━━[/] stretch of
     track where the station may be, instead of a marker
  [$warning]▲[/]  the pad of a launch coming up
  shaded cells are the night side of the Earth; a ring of dots marks the station"""

# The key grid: (key, what it does), three to a row; drawn as a table so the columns line up.
HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("d", "day/night shading"),
    ("f", "footprint"),
    ("t", "tracks"),
    ("g", "grid"),
    ("s", "station view"),
    ("p", "passes, sky chart (v: visible only)"),
    ("R", "retry feeds now"),
    ("?", "this help"),
    ("ctrl+p", "command palette"),
    ("esc", "close a panel"),
    ("q ctrl+c", "quit"),
)
HELP_REPLAY_KEYS: tuple[tuple[str, str], ...] = (
    ("space", "pause / resume"),
    ("+  -", "speed 1-1000x"),
    ("n", "next event"),
    ("r", "restart"),
)

HELP_FOOTNOTE = """\
Positions are propagated locally (SGP4, skyfield) from the orbital elements
for the time shown (the newest set not after it), with their age and expected
error; an API fix, when one is available, is shown only as a cross-check.
Feeds that fail keep their last good data on screen, marked stale with its age."""


class HelpScreen(ModalScreen[None]):
    """Keys, map legend and what the numbers mean."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box {
        width: 88; max-width: 95%; height: auto; max-height: 95%;
        border: round $accent; padding: 1 2; background: $surface;
    }
    HelpScreen .help-about-title { color: $accent; text-style: bold; margin-top: 1; }
    HelpScreen .help-about { color: $foreground-darken-1; }
    HelpScreen .help-keys-title { color: $accent; text-style: bold; margin-top: 1; }
    HelpScreen .help-keys {
        layout: grid; grid-size: 6; grid-columns: 9 18; grid-rows: 1; height: auto;
    }
    HelpScreen .help-key { text-style: bold; }
    HelpScreen .help-footnote { margin-top: 1; }
    """

    def __init__(self, about: str = "") -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        # Scrolls when the terminal is too short for all of it.
        with VerticalScroll(id="help-box"):
            yield Static(HELP_MARKUP)
            for title, keys in (("Keys", HELP_KEYS), ("Replay (--demo)", HELP_REPLAY_KEYS)):
                yield Static(title, classes="help-keys-title")
                with Grid(classes="help-keys"):
                    for key, what in keys:
                        yield Static(key, markup=False, classes="help-key")
                        yield Static(what, markup=False)
            yield Static(HELP_FOOTNOTE, classes="help-footnote")
            if self.about:
                yield Static("About this data", classes="help-about-title")
                # Recording descriptions come from files: plain text, never markup.
                yield Static(clean_text(self.about, 600), markup=False, classes="help-about")
