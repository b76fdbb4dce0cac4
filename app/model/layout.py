"""Which layout the dashboard uses at a terminal size: a pure function of the size alone.

The app calls `size_class(width, height)` on every resize and applies the answer in one place
(`IssDashApp._apply_layout`); nothing about the layout is remembered between sizes, so a
terminal resized to 80x24 and back to 120x40 looks exactly like one started at 120x40.

Width and height are judged separately: the width sets the side column and the map's width,
the height decides which panels fit and how tall the next event may be. The class's name is
the smaller of the two ("small" if either is small). docs/layout.md has the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SizeName = Literal["too-small", "small", "medium", "standard", "large"]
RosterMode = Literal["summary", "compact", "table", "detail"]

# Below this the panels cannot be drawn without breaking: a notice says so instead.
MIN_WIDTH = 60
MIN_HEIGHT = 18

# Rows outside the body: the mission bar, the feed-health strip and the footer.
CHROME_ROWS = 3
# A panel's border takes a row (or column) on each side.
BORDER = 2
# The crew roster's table needs this many columns inside its panel (widgets/crew_roster.py
# condenses below it).
ROSTER_TABLE_MIN = 66
# Rows the crew panel keeps below the map (borders included): on short terminals the
# summary line and a line per nationality (three is usual), and on large ones the whole
# table of a full station (seven people under three flags).
_CREW_ROWS = {"small": 6, "medium": 7, "standard": 7, "large": 14}

# Under this many rows the terminal is "short" (the `-short` class).
SHORT_HEIGHT = 30
# The launch card's lines on a short terminal: vehicle and time, pad, crew on one line; a
# fourth (the pad's name on its own line) when the rows allow. Its panel adds its borders.
CARD_LINES_MIN = 3
CARD_LINES_SHORT = 4
CARD_ROWS_MIN = CARD_LINES_MIN + BORDER
# The crew panel under a launch card on a short terminal: its summary line in its borders.
CREW_SUMMARY_ROWS = 1 + BORDER

SIZE_NAMES: tuple[SizeName, ...] = ("too-small", "small", "medium", "standard", "large")
_ORDER = SIZE_NAMES


@dataclass(frozen=True, slots=True)
class SizeClass:
    """Everything about the layout that depends on the terminal size."""

    name: SizeName
    width: int
    height: int
    # Columns of the side column (telemetry, next event), borders included.
    side_width: int
    # Rows the map may take (the map keeps its 2:1 shape; it is as wide as 4 x its rows).
    map_rows: int
    show_telemetry: bool
    # The next event's phase list and progress bar (else one short line of phases).
    full_timeline: bool
    # The docked-vehicle list under the next event.
    show_docked: bool
    # The big three-row digits may be used (the widget still falls back to one line when
    # the digits are wider than its panel, as "11d 10:29:56" is in a narrow one).
    big_digits: bool
    roster: RosterMode
    # More per-item detail where the room allows: crew aboard each docked vehicle.
    detail: bool
    # While the launch card shows on a short terminal (under 30 rows) the map, the card and
    # the crew's summary line must all fit the left column: the map gives up rows when they
    # do not (99x24: one), and the card takes the lines left over, up to four (the pad's
    # name on a line of its own rather than cut). Tall terminals have room for everything:
    # `map_rows` and None (as many lines as the card needs).
    map_rows_with_card: int = 0
    card_lines: int | None = None

    @property
    def too_small(self) -> bool:
        return self.name == "too-small"

    @property
    def narrow(self) -> bool:
        """Less than the standard 100 columns (the older `-narrow` class)."""
        return self.width < 100

    @property
    def short(self) -> bool:
        """Less than the standard 30 rows (the older `-short` class)."""
        return self.height < SHORT_HEIGHT

    def too_small_message(self) -> str:
        # Two lines: each fits a terminal far below the minimum without wrapping.
        need, have = f"{MIN_WIDTH}x{MIN_HEIGHT}", f"{self.width}x{self.height}"
        return f"terminal too small\n(need {need}, have {have})"


def _width_class(width: int) -> SizeName:
    if width < MIN_WIDTH:
        return "too-small"
    if width < 80:
        return "small"
    if width < 100:
        return "medium"
    if width < 160:
        return "standard"
    return "large"


def _height_class(height: int) -> SizeName:
    if height < MIN_HEIGHT:
        return "too-small"
    if height < 24:
        return "small"
    if height < 30:
        return "medium"
    if height < 48:
        return "standard"
    return "large"


_SIDE_WIDTH = {"too-small": 30, "small": 30, "medium": 38, "standard": 44, "large": 56}
# Past this the side column's lines would only get longer, not say more.
SIDE_WIDTH_MAX = 72


def size_class(width: int, height: int) -> SizeClass:
    """The layout for a terminal of `width` x `height` cells."""
    by_width, by_height = _width_class(width), _height_class(height)
    name = min(by_width, by_height, key=_ORDER.index)
    side_width = _SIDE_WIDTH[by_width]
    # The left column is what the side column leaves; its map is 4 columns per row at most
    # (the world's 2:1 in braille dots), and leaves the crew panel its rows below.
    left_inner = max(0, width - side_width - BORDER)
    body_rows = max(0, height - CHROME_ROWS)
    crew_rows = _CREW_ROWS.get(by_height, 3)
    map_rows = max(4, min(left_inner // 4, body_rows - BORDER - crew_rows))
    if by_width == "large":
        # Wide for its height: the map is as wide as its rows allow and the side column takes
        # the rest (up to a point), rather than the map being letterboxed.
        side_width = min(SIDE_WIDTH_MAX, max(side_width, width - BORDER - 4 * map_rows))
        left_inner = width - side_width - BORDER
    detail = name == "large"
    roster: RosterMode
    if by_height in ("too-small", "small"):
        roster = "summary"
    elif left_inner - 2 < ROSTER_TABLE_MIN:  # the roster's own padding
        roster = "compact"
    else:
        roster = "detail" if detail else "table"
    show_telemetry = _ORDER.index(name) >= _ORDER.index("medium")
    map_rows_with_card, card_lines = map_rows, None
    if height < SHORT_HEIGHT:
        room = body_rows - BORDER - CARD_ROWS_MIN - CREW_SUMMARY_ROWS
        map_rows_with_card = max(4, min(map_rows, room))
        under_map = body_rows - BORDER - map_rows_with_card
        card_lines = max(
            CARD_LINES_MIN, min(CARD_LINES_SHORT, under_map - CREW_SUMMARY_ROWS - BORDER)
        )
    tall = by_height in ("standard", "large")
    return SizeClass(
        name=name,
        width=width,
        height=height,
        side_width=side_width,
        map_rows=map_rows,
        show_telemetry=show_telemetry,
        # A phase's line with its date is 41 columns: the list needs the standard side column.
        full_timeline=tall and by_width in ("standard", "large"),
        show_docked=tall and by_width != "small",
        # Under the telemetry panel on a 24-29 row terminal there is no room for three
        # rows of digits; without that panel (small) there is.
        big_digits=not (show_telemetry and by_height == "medium"),
        roster=roster,
        detail=detail,
        map_rows_with_card=map_rows_with_card,
        card_lines=card_lines,
    )
