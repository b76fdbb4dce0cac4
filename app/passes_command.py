"""`issdash passes`: the pass planner on the command line (table, JSON, iCalendar)."""

from __future__ import annotations
