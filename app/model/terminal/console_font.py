"""What the Linux console can draw, and what the dashboard draws there instead (pure).

The Linux console (TERM=linux: a kiosk's tty1, a server's screen) draws text with a PSF font
of 256 or 512 glyphs. Debian's default (console-setup: CODESET Lat15, FONTFACE Fixed,
FONTSIZE 8x16, i.e. /usr/share/consolefonts/Lat15-Fixed16.psf.gz) maps the code points below
to its glyphs. Every Lat15 face and size (Fixed, Terminus, VGA 16) and every Uni2 font maps
at least these. Anything else is drawn as the font's replacement glyph: braille, the quadrant
and half blocks (U+2580-259F except the full and shaded blocks), emoji flags, ★ ☀ ⚠ ✓ ◉ ○.

The table was read with kbd's `psfgettable` from console-setup-linux 1.221's
Lat15-Fixed16.psf.gz; tests/test_console_mode.py reads the installed font again and checks it.
Several code points share a glyph there (● is drawn as •, ▶ as →, ⊕ as +, ━ as ─), so the
substitutes below are chosen by the glyph the console really shows.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Inclusive code point ranges mapped by Lat15-Fixed16's Unicode table (psfgettable output,
# folded into ranges). U+FFFD is left out on purpose: it is the glyph drawn for a missing
# character, so a screen showing it has lost something. U+25C8 and U+2666 share that glyph.
_LAT15_RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x00FF), (0x0110, 0x0110), (0x011E, 0x011F), (0x0130, 0x0131),
    (0x0152, 0x0153), (0x015E, 0x0161), (0x0178, 0x0178), (0x017D, 0x017E), (0x0192, 0x0192),
    (0x02C6, 0x02C6), (0x02C9, 0x02C9), (0x02DC, 0x02DC), (0x0391, 0x0392), (0x0395, 0x0397),
    (0x0399, 0x039A), (0x039C, 0x039D), (0x039F, 0x039F), (0x03A1, 0x03A1), (0x03A4, 0x03A4),
    (0x03A7, 0x03A7), (0x03BC, 0x03BC), (0x03C0, 0x03C0), (0x0401, 0x0401), (0x0405, 0x0408),
    (0x0410, 0x0410), (0x0412, 0x0412), (0x0415, 0x0415), (0x041A, 0x041A), (0x041C, 0x041E),
    (0x0420, 0x0422), (0x0425, 0x0425), (0x0430, 0x0430), (0x0435, 0x0435), (0x043E, 0x043E),
    (0x0440, 0x0441), (0x0443, 0x0443), (0x0445, 0x0445), (0x0451, 0x0451), (0x0455, 0x0458),
    (0x04AE, 0x04AE), (0x2000, 0x200A), (0x2010, 0x2015), (0x2018, 0x201A), (0x201C, 0x201E),
    (0x2020, 0x2022), (0x2026, 0x2026), (0x202F, 0x2030), (0x2039, 0x203A), (0x203C, 0x203C),
    (0x207F, 0x207F), (0x20A7, 0x20A7), (0x20AC, 0x20AC), (0x20AE, 0x20AE), (0x2116, 0x2116),
    (0x2122, 0x2122), (0x212A, 0x212B), (0x2190, 0x2193), (0x2205, 0x2205), (0x2208, 0x2208),
    (0x2212, 0x2212), (0x221E, 0x221E), (0x2229, 0x2229), (0x2248, 0x2248), (0x2260, 0x2261),
    (0x2264, 0x2265), (0x226A, 0x226B), (0x2295, 0x2296), (0x2298, 0x2299), (0x229B, 0x229C),
    (0x2460, 0x2468), (0x24B6, 0x24EA), (0x2500, 0x257F), (0x2588, 0x2588), (0x2591, 0x2592),
    (0x25A0, 0x25A0), (0x25AE, 0x25AE), (0x25B2, 0x25B2), (0x25B4, 0x25B4), (0x25B6, 0x25B6),
    (0x25B8, 0x25B8), (0x25BC, 0x25BC), (0x25BE, 0x25BE), (0x25C0, 0x25C0), (0x25C2, 0x25C2),
    (0x25CF, 0x25CF), (0x2610, 0x2612), (0x2717, 0x2718), (0x2BBD, 0x2BBD),
)  # fmt: skip

CONSOLE_CHARS: frozenset[str] = frozenset(
    chr(c) for low, high in _LAT15_RANGES for c in range(low, high + 1)
)
"""Every character the default Debian console font draws as itself."""

# The dashboard's own symbols, and Textual's, as the console draws something that means the
# same. One cell each, like the originals, so nothing on the screen moves.
SUBSTITUTES: dict[str, str] = {
    "◉": "■",  # the station (the map draws ■ too) and the title mark
    "○": "o",  # approximate station; a phase still to come
    "◌": "·",  # the footprint (a dotted circle on the map)
    "⌂": "+",  # the observer (the map draws + too)
    "▲": "^",  # a launch pad (the map draws ^ too)
    "☀": "*",  # sunlit
    "★": "*",  # commander
    "⚠": "!",
    "✓": "v",  # a phase done (the console draws its ☑ as v)
    "▪": "■",  # cargo vehicle (● crew is drawn as •)
    "◐": "•",
    "Δ": "d",  # not in Lat15 (only the Latin look-alike capitals are)
    "β": "b",
    "₂": "2",
    "▏": "│",  # Textual's footer separator
    # Sparklines and Textual's scrollbar ends: eighth blocks by height.
    "▁": "_",
    "▂": "_",
    "▃": "░",
    "▄": "░",
    "▅": "▒",
    "▆": "▒",
    "▇": "█",
    "▔": "¯",
    "▀": "¯",
    "▌": "│",
    "▐": "│",
    "▓": "▒",
}

_BRAILLE = 0x2800


def cells(text: str) -> int:
    """Terminal cells `text` takes (wide East Asian characters two, combining marks none)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def braille_shade(char: str) -> str:
    """A braille cell as the shade of its dot count (1-2 ░, 3-5 ▒, 6-8 █): a legend's ⣿ drawn
    the way the console's map draws land."""
    dots = (ord(char) - _BRAILLE).bit_count()
    return " " if dots == 0 else "░" if dots <= 2 else "▒" if dots <= 5 else "█"


@lru_cache(maxsize=4096)
def console_char(char: str) -> str:
    """`char` as the console draws it: itself, its substitute, its letter without accents, or
    "?" (one per cell it takes, so the line keeps its width)."""
    if char in CONSOLE_CHARS:
        return char
    if char in SUBSTITUTES:
        return SUBSTITUTES[char]
    if _BRAILLE <= ord(char) <= _BRAILLE + 0xFF:
        return braille_shade(char)
    if 0x1F1E6 <= ord(char) <= 0x1F1FF:
        # A regional-indicator letter (half of an emoji flag): the letter itself.
        return chr(ord("A") + ord(char) - 0x1F1E6)
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(c in CONSOLE_CHARS for c in base) and cells(base) == cells(char):
        return base
    return "?" * cells(char)


def missing_glyph(char: str) -> bool:
    """True when the console has no meaningful glyph for `char` ("?" drawn instead)."""
    out = console_char(char)
    return char != "?" and "?" in out and "?" not in char


def console_text(text: str) -> str:
    """A whole string as the console draws it."""
    if all(c in CONSOLE_CHARS for c in text):
        return text
    return "".join(console_char(c) for c in text)
