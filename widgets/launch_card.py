"""The launch card: vehicle, rocket, pad, crew with flags and the time to liftoff."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive

from issdash.feeds.adapters.schedule import LaunchCrewMember
from issdash.model.visits.launch_card import LaunchCardView
from issdash.widgets import format as fmt
from issdash.widgets.countries import flag
from issdash.widgets.text_lines import TextLines

# Roles as the crew roster abbreviates them.
_ROLES = {"commander": "CDR", "flight engineer": "FE"}


def t_minus(seconds: float) -> str:
    """ "T- 3m 15s", "T- 1h 05m": counting down, never negative (past T-0 the card says the
    launch is expected, not confirmed, until the record says it lifted off)."""
    return f"T- {fmt.duration(max(0.0, seconds))}"


def place_text(place: tuple[float, float]) -> str:
    latitude, longitude = place
    return f"{fmt.latitude(latitude)} {fmt.longitude(longitude)}"


class LaunchCard(TextLines):
    """Drawn from a `LaunchCardView`; the app hides the card's box when there is none."""

    COMPONENT_CLASSES = {
        "launch-card--vehicle",
        "launch-card--clock",
        "launch-card--label",
        "launch-card--muted",
        "launch-card--commander",
        "launch-card--unknown",
        "launch-card--pad",
    }

    DEFAULT_CSS = """
    LaunchCard { height: auto; padding: 0 1; }
    LaunchCard > .launch-card--vehicle { color: $foreground; text-style: bold; }
    LaunchCard > .launch-card--clock { color: $warning; text-style: bold; }
    LaunchCard > .launch-card--label { color: $accent; text-style: bold; }
    LaunchCard > .launch-card--muted { color: $foreground-darken-2; }
    LaunchCard > .launch-card--commander { color: $warning; text-style: bold; }
    LaunchCard > .launch-card--unknown { color: $warning; }
    LaunchCard > .launch-card--pad { color: $warning; text-style: bold; }
    """

    view: reactive[LaunchCardView | None] = reactive(None, layout=False, repaint=False)
    """The card at one moment; set by the app every tick."""

    flags: str = "emoji"
    # The crew's lines and what they were made from (`_crew_lines`).
    _crew_key: tuple[object, ...] | None = None
    _crew_kept: list[Text] = []
    # On short terminals the card keeps to three lines (the crew on one line, cut if need
    # be): a person a line would take the rows the crew roster and the map need.
    compact: bool = False
    # The lines the size class gives the card (None: any). With a fourth line, a pad line
    # too long for the card puts the pad's name on a line of its own rather than cut it.
    lines: int | None = None

    def apply_layout(self, compact: bool, lines: int | None = None) -> None:
        """Set by the app on every resize (issdash.model.layout's short terminals)."""
        if (compact, lines) != (self.compact, self.lines):
            self.compact = compact
            self.lines = lines
            self.redraw_lines()
            # Called from the app's resize, inside the layout pass of the new size: a change
            # in the card's height asked for now is lost, so ask again once that pass is done.
            self.call_after_refresh(self._relayout)

    def watch_view(self) -> None:
        self.redraw_lines()

    def build_lines(self) -> list[Text]:
        view = self.view
        if view is None:
            return []
        style = self.component_style
        muted = style("launch-card--muted")
        unknown = style("launch-card--unknown")
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(view.vehicle, style=style("launch-card--vehicle"))
        head.append(" on ", style=muted)
        if view.rocket:
            head.append(view.rocket, style=style("launch-card--vehicle"))
        else:
            head.append("rocket unknown", style=unknown)
        head.append("  ")
        if view.unconfirmed:
            # T-0 passed and the record does not say it lifted off: expected, not a fact.
            head.append(
                f"expected {fmt.utc_hm(view.net)}, not confirmed", style=style("launch-card--clock")
            )
        else:
            head.append(t_minus(view.seconds_to_launch), style=style("launch-card--clock"))
        width = self.content_size.width
        extras = (
            "" if view.unconfirmed else f"  {fmt.utc_hm(view.net)}",
            f"  {view.status}" if view.status else "",
        )
        for extra in extras:
            # On a short terminal the time and status that do not fit are left off whole
            # (the next event panel beside the card shows both) rather than cut to "…".
            if self.compact and 0 < width < head.cell_len + len(extra):
                break
            head.append(extra, style=muted)
        # The place first: on a narrow card the pad's long name is what gets cut.
        pad = Text(no_wrap=True, overflow="ellipsis")
        pad.append("Pad  ", style=style("launch-card--label"))
        if view.pad_place is not None:
            pad.append("▲ ", style=style("launch-card--pad"))
            pad.append(place_text(view.pad_place), style=muted)
        else:
            pad.append("position unknown", style=unknown)
        name = Text(view.pad or "name unknown", style="" if view.pad else unknown)
        crew = self._crew_lines(view.crew)
        together = cell_len(pad.plain) + 2 + name.cell_len
        if self.lines is not None and 3 + len(crew) <= self.lines and 0 < width < together:
            # A line of its own, under the position, aligned with it.
            own = Text(" " * len("Pad  "), no_wrap=True, overflow="ellipsis")
            own.append_text(name)
            return [head, pad, own, *crew]
        pad.append("  ")
        pad.append_text(name)
        return [head, pad, *crew]

    def _crew_lines(self, crew: tuple[LaunchCrewMember, ...] | None) -> list[Text]:
        """The crew's lines, kept for their inputs: the card redraws every second for its
        countdown, while its crew (names, flags, their fit to the width) changes seldom."""
        style = self.component_style
        key = (
            crew,
            self.content_size.width,
            self.compact,
            self.flags,
            *(style(f"launch-card--{name}") for name in ("label", "unknown", "commander", "muted")),
        )
        if key != self._crew_key:
            self._crew_kept = self._fit_crew(crew)
            self._crew_key = key
        return self._crew_kept

    def _fit_crew(self, crew: tuple[LaunchCrewMember, ...] | None) -> list[Text]:
        style = self.component_style
        label = style("launch-card--label")
        if crew is None or not crew:
            line = Text("Crew ", style=label, no_wrap=True)
            line.append(
                " unknown" if crew is None else " none listed", style=style("launch-card--unknown")
            )
            return [line]
        people = [self._person(member) for member in crew]
        one_line = Text("Crew ", style=label, no_wrap=True, overflow="ellipsis")
        for person in people:
            one_line.append("  ")
            one_line.append_text(person)
        width = self.content_size.width
        if width <= 0 or cell_len(one_line.plain) <= width:
            return [one_line]
        # Narrower: surnames, the commander starred, still one line.
        short = Text("Crew", style=label, no_wrap=True, overflow="ellipsis")
        for member in crew:
            short.append(f" {flag(member.country_code, self.flags)} ")
            commander = _ROLES.get((member.role or "").lower()) == "CDR"
            surname = member.name.split()[-1]
            short.append(
                f"★{surname}" if commander else surname,
                style=style("launch-card--commander") if commander else None,
            )
        if cell_len(short.plain) <= width or self.compact:
            return [short]
        # Too narrow for one line: one person a line, nobody cut.
        lines = []
        for i, person in enumerate(people):
            line = Text("Crew " if i == 0 else "     ", style=label, no_wrap=True)
            line.append(" ")
            line.append_text(person)
            lines.append(line)
        return lines

    def _person(self, member: LaunchCrewMember) -> Text:
        style = self.component_style
        role = _ROLES.get((member.role or "").lower(), member.role or "")
        text = Text(no_wrap=True)
        text.append(f"{flag(member.country_code, self.flags)} ")
        commander = role == "CDR"
        text.append(member.name, style=style("launch-card--commander") if commander else None)
        if role:
            text.append(f" {role}", style=style("launch-card--muted"))
        return text
