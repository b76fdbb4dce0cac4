"""The map's colours as a terminal really gets them: Textual resolves the theme in truecolor,
then Rich rounds each colour to the terminal's system (256 colours for TERM=xterm-256color,
16 on the Linux console, which also draws bright backgrounds as dark ones). Night must stay
visibly night, and everything on the map readable on it, after that rounding."""

from __future__ import annotations

import pytest
from rich.color import EIGHT_BIT_PALETTE, STANDARD_PALETTE, Color, ColorSystem
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style

from issdash.model.map.raster import Layer
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.ground_track import GroundTrackMap
from tests.support.dashboards import demo_app, settle


def _luminance(rgb: ColorTriplet) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: ColorTriplet, b: ColorTriplet) -> float:
    """WCAG contrast ratio, 1 (same) to 21 (black on white)."""
    low, high = sorted((_luminance(a), _luminance(b)))
    return (high + 0.05) / (low + 0.05)


def distance(a: ColorTriplet, b: ColorTriplet) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


def in_256(color: Color) -> tuple[int, ColorTriplet]:
    number = color.downgrade(ColorSystem.EIGHT_BIT).number
    assert number is not None
    return number, EIGHT_BIT_PALETTE[number]


def in_16(color: Color) -> tuple[int, ColorTriplet]:
    number = color.downgrade(ColorSystem.STANDARD).number
    assert number is not None
    return number, STANDARD_PALETTE[number]


def drawn_styles(app: IssDashApp) -> dict[tuple[Layer, bool], Style]:
    """Each layer's style by day and by night, after the app's own line filters (Textual's
    ANSI-to-truecolor among them), as the terminal is sent it."""
    map_widget = app.query_one(GroundTrackMap)
    table = map_widget._styles()
    styles = {}
    for style_id, style in enumerate(table):
        segments = [Segment("x", style)]
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, map_widget.background_colors[1])
        drawn = segments[0].style
        assert drawn is not None and drawn.color is not None and drawn.bgcolor is not None
        styles[Layer(style_id // 2), bool(style_id % 2)] = drawn
    return styles


async def test_night_stays_distinct_and_the_map_readable_in_256_colours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        styles = drawn_styles(app)
    day_bg = styles[Layer.OCEAN, False].bgcolor
    night_bg = styles[Layer.OCEAN, True].bgcolor
    assert day_bg is not None and night_bg is not None
    (day_n, day_rgb), (night_n, night_rgb) = in_256(day_bg), in_256(night_bg)
    # The old night (near-black on #121212) rounded to 16 against 233: 31 apart.
    assert day_n != night_n
    assert distance(day_rgb, night_rgb) >= 60, (day_n, night_n)
    for (layer, night), style in styles.items():
        assert style.color is not None and style.bgcolor is not None
        fg, bg = in_256(style.color)[1], in_256(style.bgcolor)[1]
        assert contrast(fg, bg) >= 3.0, (layer.name, night, style)
    # Land is dimmer at night but stays land-coloured and readable on the night side.
    assert contrast(in_256(styles[Layer.LAND, True].color)[1], night_rgb) >= 4.5  # type: ignore[arg-type]


async def test_the_station_marker_is_bold_bright_and_its_own_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        styles = drawn_styles(app)
    for night in (False, True):
        station = styles[Layer.STATION, night]
        assert station.bold
        assert station.color is not None and station.bgcolor is not None
        fg, bg = in_256(station.color), in_256(station.bgcolor)
        # The old $error (#B93C5B, 131 in 256 colours) made 3.9 on the day side.
        assert contrast(fg[1], bg[1]) >= 4.5
        others = {
            in_256(style.color)[0]
            for (layer, _), style in styles.items()
            if layer != Layer.STATION and style.color is not None
        }
        assert fg[0] not in others


async def test_night_on_the_linux_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "linux")
    app = demo_app()
    async with app.run_test(size=(80, 25)) as pilot:
        await settle(pilot)
        styles = drawn_styles(app)
    day_bg, night_bg = styles[Layer.OCEAN, False].bgcolor, styles[Layer.OCEAN, True].bgcolor
    assert day_bg is not None and night_bg is not None
    # The console draws background colours 8-15 as 0-7: night must differ within those.
    assert in_16(day_bg)[0] % 8 != in_16(night_bg)[0] % 8
    for (layer, night), style in styles.items():
        assert style.color is not None and style.bgcolor is not None
        assert in_16(style.color)[0] != in_16(style.bgcolor)[0] % 8, (layer.name, night)
