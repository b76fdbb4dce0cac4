"""Small, pure formatting helpers shared by the panels."""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len

from issdash.model.durations import age, countdown, duration

__all__ = ["age", "countdown", "duration", "latitude", "longitude", "pad", "utc_hm"]


def latitude(value: float) -> str:
    return f"{abs(value):.2f}°{'N' if value >= 0 else 'S'}"


def longitude(value: float) -> str:
    return f"{abs(value):.2f}°{'E' if value >= 0 else 'W'}"


def utc_hm(value: datetime) -> str:
    return value.strftime("%H:%M:%SZ")


def pad(text: str, width: int) -> str:
    """Pad to `width` terminal cells (names may hold wide characters)."""
    return text + " " * max(0, width - cell_len(text))


def distance_km(km: float) -> str:
    """ "0.4 km", "3.4 km", "27 km", "1,406 km": a decimal only where it says something."""
    return f"{km:.1f} km" if km < 10 else f"{km:,.0f} km"
