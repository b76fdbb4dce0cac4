"""Places the pass tests look from (one definition each, shared by the model and TUI tests)."""

from __future__ import annotations

from issdash.feeds.values import Observer

# Southern hemisphere, east of Greenwich: the pass tests check more than London.
CAPE_TOWN = Observer(latitude_deg=-33.92, longitude_deg=18.42)
