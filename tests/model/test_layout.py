"""The size classes (issdash.model.layout) and the countdown wording, as pure functions."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from issdash.model.durations import countdown
from issdash.model.layout import (
    BORDER,
    CHROME_ROWS,
    MIN_HEIGHT,
    MIN_WIDTH,
    SIDE_WIDTH_MAX,
    size_class,
)

widths = st.integers(min_value=1, max_value=400)
heights = st.integers(min_value=1, max_value=150)


@given(widths, heights)
def test_below_the_minimum_is_too_small_and_says_what_is_needed(width: int, height: int) -> None:
    layout = size_class(width, height)
    assert layout.too_small == (width < MIN_WIDTH or height < MIN_HEIGHT)
    if layout.too_small:
        assert layout.too_small_message() == (
            f"terminal too small\n(need {MIN_WIDTH}x{MIN_HEIGHT}, have {width}x{height})"
        )


@given(st.integers(MIN_WIDTH, 400), st.integers(MIN_HEIGHT, 150))
def test_what_shows_fits_the_terminal(width: int, height: int) -> None:
    layout = size_class(width, height)
    left_inner = width - layout.side_width - BORDER
    # The map keeps the world's 2:1 shape inside the left column, and leaves the crew panel
    # at least its border and a line below it.
    assert layout.side_width <= width / 2
    assert 4 * layout.map_rows <= left_inner
    assert layout.map_rows + BORDER + 3 <= height - CHROME_ROWS
    assert layout.map_rows * 4 > 20  # never the 20-column map the issue saw at 60x20


@given(st.integers(160, 400), st.integers(48, 150))
def test_large_terminals_use_the_room(width: int, height: int) -> None:
    layout = size_class(width, height)
    assert layout.name == "large"
    left_inner = width - layout.side_width - BORDER
    # Not letterboxed: the map spans its column but for the 2:1 shape's rounding (the side
    # column takes what a map limited by the height leaves, up to its widest).
    assert left_inner - 4 * layout.map_rows < 4 or layout.side_width == SIDE_WIDTH_MAX
    assert layout.side_width > size_class(120, 40).side_width
    assert layout.detail and layout.roster == "detail" and layout.show_docked


def test_the_named_sizes() -> None:
    assert [size_class(w, h).name for w, h in ((40, 15), (60, 20), (80, 24), (120, 40))] == [
        "too-small",
        "small",
        "medium",
        "standard",
    ]
    assert size_class(200, 60).name == "large"
    small = size_class(60, 20)
    assert not small.show_telemetry and small.big_digits and small.roster == "summary"
    medium = size_class(80, 24)
    # Under the telemetry there is room for the count on one line, not for three rows of
    # digits, a phase list or the docked list.
    assert medium.show_telemetry and not medium.big_digits
    assert not medium.full_timeline and not medium.show_docked
    standard = size_class(120, 40)
    assert (standard.side_width, standard.map_rows, standard.roster) == (44, 18, "table")
    assert standard.full_timeline and standard.show_docked and standard.big_digits


def parse_countdown(text: str) -> int:
    """The inverse of `countdown`: whole seconds, negative for time past."""
    match = re.fullmatch(r"(-?)(?:(\d+)d )?(\d\d):(\d\d):(\d\d)", text)
    assert match is not None, text
    sign, days, hours, minutes, seconds = match.groups()
    assert int(minutes) < 60 and int(seconds) < 60
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return -total if sign else total


durations = st.floats(min_value=-400 * 86400, max_value=400 * 86400, allow_nan=False)


@given(durations)
def test_a_countdown_parses_back_to_its_duration(seconds: float) -> None:
    text = countdown(seconds)
    assert parse_countdown(text) == int(seconds)  # cut toward zero, not rounded


@given(durations)
def test_days_show_from_one_day_and_hours_stay_below_24(seconds: float) -> None:
    text = countdown(seconds)
    match = re.search(r"(\d+)d (\d\d):", text)
    assert (match is not None) == (abs(int(seconds)) >= 86400)
    if match is not None:
        assert int(match.group(1)) >= 1 and int(match.group(2)) < 24
    else:
        assert int(text.lstrip("-").split(":")[0]) < 24


@given(st.integers(min_value=1, max_value=400 * 86400))
def test_time_past_reads_as_minus_the_same_count(seconds: int) -> None:
    assert countdown(-seconds) == "-" + countdown(seconds)


def test_countdown_examples() -> None:
    assert countdown(11 * 86400 + 10 * 3600 + 29 * 60 + 56) == "11d 10:29:56"
    assert countdown(189.9) == "00:03:09"
    assert countdown(-5) == "-00:00:05"
    assert countdown(86399) == "23:59:59"
    assert countdown(86400) == "1d 00:00:00"
    assert countdown(float("nan")) == countdown(None) == "--:--:--"
