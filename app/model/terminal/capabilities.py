"""Which characters this terminal can show: decided once at start from the settings and the
environment (pure; the app passes `os.environ`).

- The Linux console (TERM=linux) has only its font's few hundred glyphs: no braille, no emoji,
  no quarter blocks (`issdash.model.terminal.console_font`). There the map is drawn in block
  elements and every other character on screen is one the console font has.
- A browser (`issdash serve`: the session runs with a TEXTUAL_DRIVER) draws whatever its
  fonts have, and many systems have no flag font: flags are shown as their letters there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

ScreenGlyphs = Literal["unicode", "console"]
FlagStyle = Literal["emoji", "letters"]


def is_linux_console(environ: Mapping[str, str]) -> bool:
    """The kernel's own terminal: it sets TERM=linux, and so does systemd for a unit on a tty."""
    return environ.get("TERM", "").strip().lower() == "linux"


def is_web_session(environ: Mapping[str, str]) -> bool:
    """A dashboard drawn in a browser: textual-serve (and `issdash serve`) start each session
    with TEXTUAL_DRIVER naming a web driver; nothing else sets it."""
    return bool(environ.get("TEXTUAL_DRIVER", "").strip())


def screen_glyphs(setting: str, environ: Mapping[str, str]) -> ScreenGlyphs:
    """`setting` is "auto", "unicode" or "console"; auto is console on the Linux console."""
    if setting in ("unicode", "console"):
        return "unicode" if setting == "unicode" else "console"
    return "console" if is_linux_console(environ) else "unicode"


def flag_style(setting: str, environ: Mapping[str, str], glyphs: ScreenGlyphs) -> FlagStyle:
    """`setting` is "auto", "emoji" or "letters"; auto is letters where flag emoji are not
    drawn (the console) or often not (a browser without a flag font), emoji elsewhere."""
    if setting in ("emoji", "letters"):
        return "emoji" if setting == "emoji" else "letters"
    return "letters" if glyphs == "console" or is_web_session(environ) else "emoji"
