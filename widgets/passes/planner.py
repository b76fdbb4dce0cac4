"""The pass planner: ten days of passes, one row each, and the sky chart of the selected one.

Draws the `PassPlannerView` and `SkyChartView` it is given; picking a row posts
`PassPlanner.Selected` and the app answers with that pass's chart. Used full screen (key p,
`PassPlannerScreen`) and, in kiosk mode, in place of the map and crew while the cycle is on
"passes".
"""

from __future__ import annotations

from datetime import timedelta, tzinfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.model.passes.finder import Pass
from issdash.model.passes.planner import PassPlannerView, PassRow, pass_details
from issdash.model.passes.sky_chart import LEGEND
from issdash.widgets.passes.sky_chart import SkyChart, SkyChartView

# Columns by the table's width: UTC beside local time only where it fits (the widest
# values plus the cells' padding and the scrollbar).
_WIDE = 86
_MEDIUM = 76
# The heading's parts (place, span, zone, filter) are joined by this.
_PART = " · "


def heading_lines(heading: str, width: int) -> str:
    """The heading broken between its parts, never inside one: "Australia/Brisbane (zone
    of the place)" cut after "zone" read badly at 80 columns. A part wider than the line is
    left to the widget's own wrapping."""
    if width <= 0:
        return heading
    lines: list[str] = []
    for part in heading.split(_PART):
        if lines and len(lines[-1]) + len(_PART) + len(part) <= width:
            lines[-1] += _PART + part
        else:
            lines.append(part)
    return "\n".join(lines)


# A pass is "the same" after a new search if it culminates within this (elements move it by
# seconds): the selection stays on it.
_SAME_PASS = timedelta(minutes=10)


def columns_for(width: int) -> tuple[str, ...]:
    """Which columns fit in `width` cells."""
    if width >= _WIDE:
        return ("Date", "Start", "UTC", "Length", "Max", "Directions", "Mag", "Visible")
    if width >= _MEDIUM:
        return ("Date", "Start", "Length", "Max", "Directions", "Mag", "Visible")
    return ("Start", "Max", "Directions", "Mag", "Visible")


def _cells(row: PassRow, columns: tuple[str, ...], narrow_date: bool) -> list[Text]:
    dim = "" if row.visible else "dim"
    start = f"{row.date[4:]} {row.start.split()[0]}" if narrow_date else row.start
    values = {
        "Date": row.date,
        "Start": start,
        "UTC": row.start_utc,
        "Length": row.duration,
        "Max": row.max_elevation,
        "Directions": row.directions,
        "Mag": row.magnitude,
        "Visible": row.visibility,
    }
    cells = [Text(values[c], style=dim) for c in columns]
    if row.visible:
        cells[-1].stylize("bold green")
    if row.under_way:
        cells[0].stylize("bold")
        cells[0].append(" ●", style="bold red")
    if row.change:
        # Moved (or new) with the last new orbit: "19:27 (was 19:25)".
        start_cell = cells[columns.index("Start")]
        start_cell.append(f" ({row.change})", style="bold yellow")
    return cells


class PassPlanner(Vertical):
    """Heading, the table of passes (or why there is none), the chart and details."""

    DEFAULT_CSS = """
    PassPlanner { height: 1fr; }
    PassPlanner #passes-heading { height: auto; color: $foreground-darken-1; padding: 0 1; }
    PassPlanner #passes-warning { height: auto; color: $warning; padding: 0 1; display: none; }
    PassPlanner #passes-message { height: auto; padding: 1 2; color: $text; display: none; }
    PassPlanner.-message #passes-message { display: block; }
    PassPlanner.-warning #passes-warning { display: block; }
    PassPlanner DataTable { height: 1fr; min-height: 4; }
    PassPlanner.-message DataTable { display: none; }
    PassPlanner #passes-detail { height: 1fr; min-height: 8; }
    PassPlanner SkyChart { width: auto; height: 1fr; }
    PassPlanner #pass-info { width: 1fr; height: 1fr; padding: 0 1; }
    """

    class Selected(Message):
        """A pass was picked (or the table moved to a new pass): draw its chart."""

        def __init__(self, pass_: Pass | None) -> None:
            super().__init__()
            self.pass_ = pass_

    view: reactive[PassPlannerView | None] = reactive(None, layout=False, repaint=False)
    chart: reactive[SkyChartView | None] = reactive(None, layout=False, repaint=False)
    zone: tzinfo | None = None

    def __init__(
        self, *, glyphs: MapGlyphs = BRAILLE, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.glyphs = glyphs
        self._rows: tuple[PassRow, ...] = ()
        self._columns: tuple[str, ...] = ()
        # The pass whose chart is drawn: set before mounting to open the planner on it (the
        # palette's per-pass commands), then by the table's cursor.
        self.selected: Pass | None = None
        self._details_shown = False

    def compose(self) -> ComposeResult:
        yield Static(id="passes-heading", markup=False)
        yield Static(id="passes-warning", markup=False)
        yield Static(id="passes-message", markup=False)
        table: DataTable[Text] = DataTable(id="passes-table", cursor_type="row", zebra_stripes=True)
        yield table
        with Horizontal(id="passes-detail"):
            yield SkyChart(id="sky-chart", glyphs=self.glyphs)
            yield Static(id="pass-info", markup=False)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#passes-table", DataTable)

    def watch_view(self, view: PassPlannerView | None) -> None:
        if view is None or not self.is_mounted:
            return
        self._show_heading(view)
        # The approximate-times warning and the passes a new orbit took away share a line.
        warning = "\n".join(w for w in (view.warning, view.gone) if w)
        self.query_one("#passes-warning", Static).update(Text(warning))
        self.set_class(bool(warning), "-warning")
        self.query_one("#passes-message", Static).update(Text(view.message or ""))
        self.set_class(view.message is not None, "-message")
        self._fill_table(view.rows)

    def on_mount(self) -> None:
        self.watch_view(self.view)

    def on_resize(self) -> None:
        if self.view is not None:
            self._show_heading(self.view)
            self._fill_table(self.view.rows)

    def _show_heading(self, view: PassPlannerView) -> None:
        heading = self.query_one("#passes-heading", Static)
        width = self.size.width - 2  # the heading's padding
        heading.update(Text(heading_lines(view.heading, width)))

    def _fill_table(self, rows: tuple[PassRow, ...]) -> None:
        columns = columns_for(self.table.size.width or self.size.width)
        if rows == self._rows and columns == self._columns:
            return
        self._rows, self._columns = rows, columns
        table = self.table
        table.clear(columns=True)
        for column in columns:
            table.add_column(column, key=column)
        for i, row in enumerate(rows):
            table.add_row(*_cells(row, columns, "Date" not in columns), key=str(i))
        index = self._index_of(self.selected)
        if rows:
            table.move_cursor(row=index, animate=False, scroll=True)
        self._select(rows[index].pass_ if rows else None)

    def _index_of(self, chosen: Pass | None) -> int:
        if chosen is None:
            return 0
        for i, row in enumerate(self._rows):
            if abs(row.pass_.culminate - chosen.culminate) <= _SAME_PASS:
                return i
        return 0

    def _select(self, chosen: Pass | None) -> None:
        if chosen == self.selected and self._details_shown:
            return
        self.selected = chosen
        self._details_shown = True
        self._show_details()
        self.post_message(self.Selected(chosen))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        index = event.cursor_row
        if 0 <= index < len(self._rows):
            self._select(self._rows[index].pass_)

    def watch_chart(self, chart: SkyChartView | None) -> None:
        if self.is_mounted:
            self.query_one(SkyChart).view = chart

    def _show_details(self) -> None:
        parts: list[RenderableType] = []
        if self.selected is not None:
            # Label and value in columns: a value too long for a narrow terminal (60x20)
            # wraps under itself, not back under the labels.
            details = Table.grid()
            details.add_column(style="dim", width=11, no_wrap=True)
            details.add_column()
            for label, value in pass_details(self.selected, self.zone):
                details.add_row(label, Text(value))
            parts += [details, Text()]
        info = Text()
        info.append("Sky chart: ", style="bold")
        info.append(f"{LEGEND}.\n")
        info.append("━", style="bold yellow")
        info.append(" sunlit  ")
        info.append("┄", style="bold blue")
        info.append(" in Earth's shadow  ")
        info.append("┼", style="bold")
        info.append(" each minute  ")
        info.append("◉", style="bold red")
        info.append(" now\n")
        info.append("Rings: horizon, 30° and 60° up; the centre is overhead.", style="dim")
        self.query_one("#pass-info", Static).update(Group(*parts, info))
