"""Country names and flags for display (pure; no Textual)."""

from __future__ import annotations

from functools import cache

import pycountry

# pycountry's official names are long ("Russian Federation"); a dashboard uses the usual one.
_SHORT_NAMES = {
    "RU": "Russia",
    "KR": "South Korea",
    "KP": "North Korea",
    "IR": "Iran",
    "TW": "Taiwan",
}


@cache
def country_name(code: str | None) -> str:
    if code is None:
        return "Unknown nationality"
    if code in _SHORT_NAMES:
        return _SHORT_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return "Unknown nationality"
    return str(getattr(country, "common_name", None) or country.name)


def flag(code: str | None, style: str = "emoji") -> str:
    """The flag emoji for an ISO alpha-2 code (two regional-indicator letters), or the two
    letters themselves for terminals that cannot draw flags. Two cells wide either way."""
    if code is None or len(code) != 2 or not code.isascii() or not code.isalpha():
        return "??"
    code = code.upper()
    if style != "emoji":
        return code
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code)
