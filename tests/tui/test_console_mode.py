"""The Linux console (TERM=linux): every character on screen is one its font can draw.

The console's font is checked for real: kbd's `psfgettable` reads the Unicode table of
Debian's default console font (console-setup's Lat15-Fixed16), installed when absent.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from issdash.commands.cli import build_parser
from issdash.model.map.glyphs import BRAILLE, CONSOLE
from issdash.model.map.raster import MapScene, compose
from issdash.model.terminal.capabilities import flag_style, screen_glyphs
from issdash.model.terminal.console_font import CONSOLE_CHARS, console_text
from issdash.tui.dashboard import HelpScreen
from issdash.widgets.crew_roster import CrewRoster
from issdash.widgets.ground_track import GroundTrackMap
from tests.support.dashboards import demo_app, foreign, screen_text, settle

# Many seconds in all (whole screens checked character by character against the console font):
# `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow

FONT_DIR = Path("/usr/share/consolefonts")
DEFAULT_FONT = FONT_DIR / "Lat15-Fixed16.psf.gz"


def _install(*packages: str) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        # As for Chromium (tests/test_browser.py): CI runs as root and installs them.
        pytest.skip(f"{' and '.join(packages)} absent and cannot be installed here (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-qq", *packages]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=True)
        subprocess.run(command, env=env, capture_output=True, check=True)


def font_table(font: Path, tmp_path: Path) -> set[str]:
    """The characters a PSF font maps, read with kbd's psfgettable."""
    if shutil.which("psfgettable") is None or not font.exists():
        _install("kbd", "console-setup-linux")
    plain = tmp_path / font.name.removesuffix(".gz")
    plain.write_bytes(gzip.decompress(font.read_bytes()))
    table = tmp_path / "table.txt"
    subprocess.run(["psfgettable", str(plain), str(table)], check=True, capture_output=True)
    return {
        chr(int(code, 16))
        for line in table.read_text().splitlines()
        if line.startswith("0x")
        for code in re.findall(r"U\+([0-9a-fA-F]+)", line)
    }


def test_the_console_character_set_is_the_default_fonts_table(tmp_path: Path) -> None:
    font = font_table(DEFAULT_FONT, tmp_path)
    # Everything allowed is in the font; left out only the replacement character (what the
    # console draws for a missing glyph) and the two that share its glyph.
    assert font >= CONSOLE_CHARS
    assert font - CONSOLE_CHARS == {"\N{REPLACEMENT CHARACTER}", "◈", "♦"}
    # Why the map needs its own glyphs there: no braille, no quarter or half blocks.
    assert not any(0x2800 <= ord(c) <= 0x28FF for c in font)
    assert not {"▖", "▗", "▘", "▙", "▚", "▛", "▜", "▝", "▞", "▟", "▀", "▄", "▌", "▐"} & font
    # The other default faces (Terminus, VGA) and the larger Uni2 sets have them all too.
    for other in ("Lat15-Terminus16", "Lat15-VGA16", "Uni2-Fixed16"):
        assert font_table(FONT_DIR / f"{other}.psf.gz", tmp_path) >= CONSOLE_CHARS, other


@pytest.mark.parametrize("size", [(80, 25), (120, 40)])
async def test_on_the_linux_console_every_character_on_screen_is_in_its_font(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.setenv("TERM", "linux")
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert foreign(text) == set(), foreign(text)
        assert app.console_glyphs is not None and app.console_glyphs.missing == set()
        # The map is drawn (land in blocks, the station marker in its ring), not blank.
        assert "█" in text and "│■│" in text
        assert "Soyuz MS-27" in text and "RU 3" in text  # flags as letters
        await pilot.press("question_mark")  # the help screen's legend too
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert foreign(help_text) == set(), foreign(help_text)
        assert app.console_glyphs.missing == set()


async def test_the_setting_forces_console_glyphs_on_any_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("ISSDASH_GLYPHS", "console")
    app = demo_app()
    async with app.run_test(size=(80, 25)) as pilot:
        await settle(pilot)
        assert app.query_one(GroundTrackMap).glyphs is CONSOLE
        assert foreign(screen_text(app)) == set()


async def test_other_terminals_keep_braille_and_emoji_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query_one(GroundTrackMap).glyphs is BRAILLE
        view = app.query_one(CrewRoster).view
        assert view is not None and view.flags == "emoji"
        assert any(0x2800 < ord(c) <= 0x28FF for c in screen_text(app))


def test_auto_detection_and_the_settings_that_override_it() -> None:
    console = {"TERM": "linux"}
    xterm = {"TERM": "xterm-256color"}
    web = {"TERM": "xterm-256color", "TEXTUAL_DRIVER": "issdash.tui.session_driver:SessionDriver"}
    assert screen_glyphs("auto", console) == "console"
    assert screen_glyphs("auto", xterm) == "unicode"
    assert screen_glyphs("unicode", console) == "unicode"
    assert screen_glyphs("console", xterm) == "console"
    assert flag_style("auto", console, "console") == "letters"
    assert flag_style("auto", web, "unicode") == "letters"
    assert flag_style("auto", xterm, "unicode") == "emoji"
    assert flag_style("emoji", web, "unicode") == "emoji"
    assert flag_style("letters", xterm, "unicode") == "letters"


def test_one_raster_two_encoders() -> None:
    """The console map is the braille map's dots, folded: a cell is blank in one exactly when
    it is blank in the other, and the station marker is ringed in both."""
    scene = MapScene(
        station=(36.9, 46.9), observer=(51.5, -0.13), subsolar=(7.0, 0.0), show_grid=True
    )
    braille = compose(scene, 60, 15, BRAILLE)
    blocks = compose(scene, 60, 15, CONSOLE)
    assert (braille.styles == blocks.styles).all()
    assert ((braille.codes == ord(" ")) == (blocks.codes == ord(" "))).all()
    assert foreign(blocks.text()) == set()
    rows = [blocks.row_text(y) for y in range(15)]
    marker = next(y for y, row in enumerate(rows) if "■" in row)
    x = rows[marker].index("■")
    assert [rows[y][x - 1 : x + 2] for y in (marker - 1, marker, marker + 1)] == [
        "._.",
        "│■│",
        "'¯'",
    ]
    braille_rows = [braille.row_text(y) for y in range(15)]
    assert braille_rows[marker][x - 1 : x + 2] == "⡇◉⢸"


def test_console_text_keeps_every_line_its_width() -> None:
    for text in ("★ Ovchinin ☀ ⚠ ✓ ◉ ○ ⌂ Δ β ₂ ▁▂▃▄▅▆▇█ ⣿ 🇷🇺", "Łukasz Šimůnek"):
        converted = console_text(text)
        assert foreign(converted) == set()
        assert len(converted) == len(text)


def _units(doc: Path) -> dict[str, dict[str, list[str]]]:
    """The systemd units in a Markdown file's ini blocks: name -> key -> values."""
    units: dict[str, dict[str, list[str]]] = {}
    for block in re.findall(r"```ini\n(.*?)```", doc.read_text(), flags=re.S):
        name = re.search(r"^# /etc/systemd/system/(\S+)", block, flags=re.M)
        assert name is not None
        keys: dict[str, list[str]] = {}
        for line in block.splitlines():
            if "=" in line and not line.startswith(("#", "[")):
                key, value = line.split("=", 1)
                keys.setdefault(key, []).append(value)
        units[name[1]] = keys
    return units


def test_the_documented_kiosk_units_get_the_glyphs_their_terminal_has() -> None:
    units = _units(Path(__file__).parent.parent.parent / "docs" / "kiosk.md")
    assert set(units) == {"issdash-kiosk.service", "issdash-cage.service"}
    for name, unit in units.items():
        env = dict(value.split("=", 1) for value in unit.get("Environment", []))
        command = unit["ExecStart"][0].split()
        issdash = command.index("/opt/issdash/.venv/bin/issdash")
        args = build_parser().parse_args(command[issdash + 1 :])
        assert args.kiosk
        if name == "issdash-kiosk.service":
            # On the console: its TERM, so the whole screen is drawn from the console font.
            assert unit["TTYPath"] == ["/dev/tty1"]
            assert screen_glyphs("auto", env) == "console"
        else:
            # foot under cage: braille and truecolour (foot's TERM alone would mean 16 colours).
            assert command[0] == "/usr/bin/cage" and "/usr/bin/foot" in command
            assert screen_glyphs("auto", {**env, "TERM": "foot"}) == "unicode"
            assert env["COLORTERM"] == "truecolor"


@given(
    st.lists(st.integers(0, 255), min_size=12, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_any_cell_the_console_encoder_draws_is_in_the_font(
    bits: list[int], area: list[bool]
) -> None:
    cells = np.array(bits, dtype=np.uint8).reshape(3, 4)
    filled = np.array(area, dtype=bool).reshape(3, 4)
    codes = CONSOLE.encode(cells, filled)
    assert all(chr(c) in CONSOLE_CHARS for c in codes.ravel().tolist())
    # Blank exactly where no dot is set: nothing drawn from nothing, nothing lost.
    assert ((codes == ord(" ")) == (cells == 0)).all()
    assert ((BRAILLE.encode(cells, filled) == ord(" ")) == (cells == 0)).all()
