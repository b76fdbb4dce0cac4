"""Cleaning untrusted text before it can reach a screen.

Names, vehicle names, ports and error messages come from the internet. They are always drawn
as plain text (never parsed as markup), and this removes what a terminal would act on: escape
sequences, C0/C1 controls, bidi overrides and zero-width characters. Long strings are cut with
an ellipsis so one hostile value cannot break a layout.
"""

from __future__ import annotations

import re
import unicodedata

# CSI / OSC / other ESC sequences, including OSC strings ended by BEL or ST, removed whole so
# their parameters do not leak onto the screen as text either.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI ... final byte
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC ... BEL or ST
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?     # DCS / SOS / PM / APC ... ST
    | \x9b[0-?]*[ -/]*[@-~]             # 8-bit CSI
    | \x9d[^\x07\x9c]*(?:\x07|\x9c)?    # 8-bit OSC
    | \x1b.?                            # any other escape and the byte after it
    """,
    re.VERBOSE,
)
_SPACES = re.compile(r"\s+")

DEFAULT_MAX_CHARS = 80


def clean_text(
    value: object, max_chars: int = DEFAULT_MAX_CHARS, *, keep_spacing: bool = False
) -> str:
    """`value` as one line of safe, printable text, at most `max_chars` long.

    With `keep_spacing`, runs of spaces and leading indentation are kept (a command's own
    column layout), while everything a terminal would act on is still removed.
    """
    text = _ESCAPES.sub("", str(value))
    # Categories: Cc controls (C0, DEL, C1), Cf format (bidi overrides, zero-width joiners
    # and spaces, BOM), Co private use, Cs lone surrogates, Cn unassigned.
    kept = "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in text
        if ch in "\t\n\r\v\f" or unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs", "Cn"}
    )
    kept = kept.rstrip() if keep_spacing else _SPACES.sub(" ", kept).strip()
    if len(kept) > max_chars:
        kept = kept[: max(0, max_chars - 1)].rstrip() + "…"
    return kept
