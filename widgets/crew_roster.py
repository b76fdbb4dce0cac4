"""The crew roster: who is aboard the ISS, grouped by nationality."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from issdash.feeds.text import clean_text
from issdash.model.crew_roster import Roster, RosterView
from issdash.model.layout import RosterMode
from issdash.widgets import format as fmt
from issdash.widgets.countries import country_name, flag
from issdash.widgets.guard import guarded, render_failed
from issdash.widgets.kept_render import KeptRender

WIDE_MIN = 66  # below this many columns the roster condenses; it never hides a person
RosterForm = Literal["grouped", "flat", "compact"]


class CrewRoster(KeptRender, Widget):
    """Grouped by country, largest group first; commander marked ★."""

    COMPONENT_CLASSES = {
        "crew--summary",
        "crew--muted",
        "crew--country",
        "crew--name",
        "crew--commander",
        "crew--badge",
        "crew--stale",
        "crew--unknown",
    }

    LEGEND = "agency · role · arrived on · days this mission · days in space"
    DETAIL_LEGEND = "agency · role · arrived on · launched · days this mission · days in space"

    DEFAULT_CSS = """
    CrewRoster { height: auto; padding: 0 1; }
    CrewRoster > .crew--summary { color: $foreground; text-style: bold; }
    CrewRoster > .crew--muted { color: $foreground-darken-2; }
    CrewRoster > .crew--country { color: $accent; text-style: bold; }
    CrewRoster > .crew--name { color: $foreground; }
    CrewRoster > .crew--commander { color: $warning; text-style: bold; }
    CrewRoster > .crew--badge { background: $error; color: $background; text-style: bold; }
    CrewRoster > .crew--stale { color: $warning; text-style: bold; }
    CrewRoster > .crew--unknown { background: $warning; color: $background; text-style: bold; }
    """

    view: reactive[RosterView | None] = reactive(None, repaint=False)
    """The roster at one moment; set by the app."""

    # What the widget last drew and its shape (height); redraw / relayout only on change.
    _looks: object = None
    _legend_said: str | None = None
    _shape: object = None
    # The rows inside its panel, as the last layout gave them (None before the first): the
    # form is chosen from these (see `get_content_height`).
    _rows: int | None = None
    # Table, condensed or detailed: set by the app from the terminal's size class
    # (issdash.model.layout); None (a roster on its own) decides by the widget's width.
    mode: RosterMode | None = None

    def apply_layout(self, mode: RosterMode) -> None:
        """Draw as `mode` from now on (called on every resize)."""
        if mode != self.mode:
            self.mode = mode
            self._redraw_at_new_size()

    def _mode(self) -> RosterMode:
        if self.mode is not None:
            return self.mode
        return "table" if self.size.width >= WIDE_MIN else "compact"

    def watch_view(self, view: RosterView | None) -> None:
        # The app sets a new view every tick; the roster only looks different when the data,
        # its (minute-grained) age or a day count changes, so only then is it redrawn.
        roster = view.roster if view is not None else None
        looks: object = view.unknown if view is not None else None
        if view is not None and roster is not None:
            age = fmt.age((view.now - roster.received_at).total_seconds())
            looks = (roster, age, view.now.date(), view.flags, self._mode(), self.form)
        if looks != self._looks:
            self._looks = looks
            self.refresh()
        self._relayout_if_needed(view)

    def on_resize(self) -> None:
        # Wide or condensed, and so the height, depends on the width just given; a layout
        # asked for during this layout pass would be lost, so ask after it.
        self.call_after_refresh(self._redraw_at_new_size)

    def _redraw_at_new_size(self) -> None:
        self._shape = None
        self._looks = None
        self.watch_view(self.view)

    def _relayout_if_needed(self, view: RosterView | None) -> None:
        # Relayout (a whole-screen redraw) only when the number of lines can have changed.
        roster = view.roster if view is not None else None
        shape = (
            ("unknown", view.unknown.gaps if view is not None and view.unknown else None)
            if roster is None
            else (
                roster.aboard,
                len(roster.groups),
                bool(roster.stale or roster.disagreement),
                bool(roster.elsewhere),
                self._mode(),
            )
        )
        # Not the form: it changes only with these or with the panel's rows, and those come
        # from a layout, which measures the new form itself (`get_content_height`).
        if shape != self._shape:
            self._shape = shape
            self.clear_cached_dimensions()
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # The layout measures the roster with the room its panel gives it (`container`: the
        # panel's rows inside its border and scrollbar gutter), so the form is chosen here, in
        # the pass that places the roster, and follows the panel's final size whatever the
        # order of the resize events. Reading the panel's region when a view or a Resize came
        # read whatever size the panel had then: under load (120x40 -> 80x24 -> 120x40) the
        # panel grew after the roster's last Resize, the roster's own size did not change (so
        # no Resize, and with the clock frozen no new view), and it kept the short panel's
        # compact form even through a full relayout.
        if container.height != self._rows:
            before = self.form
            self._rows = container.height
            if self.form != before:
                # Lines measured and drawn so far are the old form's: measure and draw again.
                self.refresh()
        return super().get_content_height(container, viewport, width)

    @property
    def form(self) -> RosterForm:
        """How the roster is laid out, by the room its panel has. "grouped": a line per
        country, then a line per person (agency, role, vehicle, days); "flat": the same
        table, the country as each person's first column (no country lines); "compact": a
        line per country with surnames. The first that fits, columns and rows: at 1400x900 in
        a browser (155x42 cells) the panel shows 8 rows and the grouped table's 12 cut the
        list at the fifth person; at 120x40 ten aboard and a disagreement need 16 of 15."""
        if self._mode() not in ("table", "detail"):
            return "compact"
        roster = self.view.roster if self.view is not None else None
        if roster is None:
            return "grouped"
        rows = self._rows or 0  # the rows the last layout gave (none yet: as if unlimited)
        if rows <= 0 or table_lines(roster, grouped=True) <= rows:
            return "grouped"
        return "flat" if table_lines(roster, grouped=False) <= rows else "compact"

    @property
    def wide(self) -> bool:
        """A line per person (the table the column legend describes)."""
        return self.form != "compact"

    @property
    def legend(self) -> str:
        """The column legend of the table drawn now; none for a line per country."""
        if not self.wide:
            return ""
        return self.DETAIL_LEGEND if self._mode() == "detail" else self.LEGEND

    def _s(self, name: str) -> Style:
        return self.get_component_rich_style(f"crew--{name}")

    @guarded(render_failed)
    def render(self) -> RenderableType:
        # Rendered after layout, so the form (which depends on the rows given) is final here:
        # the column legend on the panel's border follows the table drawn.
        legend = self.legend
        if legend != self._legend_said and isinstance(self.parent, Widget):
            self._legend_said = legend
            self.parent.border_subtitle = legend
        view = self.view
        if view is None or view.roster is None:
            gaps = view.unknown.gaps if view is not None and view.unknown is not None else ()
            if not gaps or all(g.why == "waiting" for g in gaps):
                return Text("waiting for the crew feeds…", style=self._s("muted"))
            # Not "0 aboard": nobody knows, and the reason is said.
            text = Text()
            text.append(" NOT KNOWN ", style=self._s("unknown"))
            text.append("  who is aboard: no crew feed has a usable answer", style=self._s("stale"))
            for gap in gaps:
                text.append(f"\n  {clean_text(gap.words, 120)}", style=self._s("muted"))
            return text
        roster = view.roster
        mode = self._mode()
        form = self.form
        lines = self._head(view.now, roster, wide=form != "compact")
        if form != "compact":
            lines.extend(
                self._table(
                    roster, view.flags, grouped=form == "grouped", launched=mode == "detail"
                )
            )
        else:
            lines.extend(self._compact(roster, view.flags, wrap=mode != "summary"))
        if roster.elsewhere and mode != "summary":
            where = ", ".join(f"{n} on {station}" for station, n in roster.elsewhere)
            lines.append(_line(f"Elsewhere in space: {where}", self._s("muted")))
        return Group(*lines)

    def _head(self, now: datetime, roster: Roster, wide: bool) -> list[Text]:
        """Summary, expedition and provenance on one line; trouble on a second."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{roster.aboard} aboard", style=self._s("summary"))
        parts = [f"{g.country or '??'} {len(g.people)}" for g in roster.groups]
        if parts:
            text.append(": " + " · ".join(parts), style=self._s("summary"))
        muted = self._s("muted")
        if roster.expedition is not None:
            text.append(f"  Exp {roster.expedition}", style=muted)
        age = fmt.age((now - roster.received_at).total_seconds())
        source = f"  {roster.source}, {age} old"
        text.append(source, style=self._s("stale") if roster.stale else muted)
        lines = [text]
        if roster.stale or roster.disagreement:
            trouble = Text(no_wrap=True, overflow="ellipsis")
            if roster.stale:
                trouble.append("STALE ", style=self._s("stale"))
            if roster.disagreement:
                trouble.append(" ⚠ SOURCES DISAGREE ", style=self._s("badge"))
                trouble.append(f" {roster.disagreement}", style=muted)
            lines.append(trouble)
        return lines

    def _table(
        self, roster: Roster, flags: str, *, grouped: bool = True, launched: bool = False
    ) -> list[Text]:
        people = [p for g in roster.groups for p in g.people]
        widths = [
            max((cell_len(p.name) for p in people), default=4),
            max((cell_len(p.agency or "") for p in people), default=0),
            max((cell_len(role_abbreviation(p.role)) for p in people), default=0),
            max((cell_len(p.spacecraft or "") for p in people), default=0),
        ]
        muted = self._s("muted")
        lines: list[Text] = []
        for group in roster.groups:
            if grouped:
                head = Text(no_wrap=True, overflow="ellipsis")
                head.append(
                    f"{flag(group.country, flags)} {country_name(group.country)}",
                    style=self._s("country"),
                )
                head.append(f"  {len(group.people)}", style=muted)
                lines.append(head)
            for p in group.people:
                row = Text(no_wrap=True, overflow="ellipsis")
                name_style = self._s("commander" if p.is_commander else "name")
                if not grouped:
                    row.append(flag(group.country, flags), style=self._s("country"))
                row.append("  ★ " if p.is_commander else "    ", style=name_style)
                row.append(fmt.pad(p.name, widths[0]), style=name_style)
                row.append("  " + fmt.pad(p.agency or "", widths[1]), style=muted)
                row.append("  " + fmt.pad(role_abbreviation(p.role), widths[2]), style=muted)
                row.append("  " + fmt.pad(p.spacecraft or "", widths[3]), style=muted)
                if launched:
                    when = f"{p.launched:%Y-%m-%d}" if p.launched is not None else "–"
                    row.append(f"  {when:<10}", style=muted)
                row.append(f"  {_days(p.days_on_mission):>5}", style=self._s("name"))
                row.append(f"  {_days(p.days_in_space):>6}", style=muted)
                lines.append(row)
        return lines

    def _compact(self, roster: Roster, flags: str, *, wrap: bool = True) -> list[Text]:
        """One line per country, surnames only; lines wrap rather than hide anyone (in the
        summary of a short terminal they are cut instead: the count before them stays)."""
        lines: list[Text] = []
        for group in roster.groups:
            text = Text() if wrap else Text(no_wrap=True, overflow="ellipsis")
            text.append(
                f"{flag(group.country, flags)} {len(group.people)} ", style=self._s("country")
            )
            for i, p in enumerate(group.people):
                if i:
                    text.append(" · ", style=self._s("muted"))
                style = self._s("commander" if p.is_commander else "name")
                text.append(("★" if p.is_commander else "") + surname(p.name), style=style)
            lines.append(text)
        return lines


def table_lines(roster: Roster, grouped: bool = True) -> int:
    """Lines the table takes: the summary (and trouble), a line per person, a line per
    country when grouped, and the people elsewhere in space."""
    head = 2 if roster.stale or roster.disagreement else 1
    people = sum(len(g.people) for g in roster.groups)
    countries = len(roster.groups) if grouped else 0
    return head + countries + people + (1 if roster.elsewhere else 0)


_ROLES = {"commander": "CDR", "flight engineer": "FE", "operator": "OPR", "pilot": "PLT"}


def role_abbreviation(role: str | None) -> str:
    """NASA's short forms for the usual roles; anything else as it came (already cleaned)."""
    if not role:
        return ""
    return _ROLES.get(role.strip().lower(), role)


def surname(name: str) -> str:
    parts = name.split()
    return parts[-1] if len(parts) > 1 else name


def _days(days: int | None) -> str:
    return "–" if days is None else f"{days} d"


def _line(text: str, style: Style) -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")
