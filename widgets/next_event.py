"""The next-event panel: a large countdown, the vehicle's phase timeline, the docked vehicles.

What is not known is said so, never drawn as "nothing": a schedule that could not be read is
"Schedule not known", not "Nothing scheduled"; a docked list that could not be read is
"not known", not "(0) none reported". A phase whose time passed without a source confirming
it (issdash.model.visits.timeline) stays the next event: "expected 11:27:00Z, not confirmed";
an estimate keeps its "~est" after it is confirmed (its time is still a guess).

The panel is three parts, each a widget with its own view: the countdown (ticks every
second), the phase timeline (changes at a phase or a percent of progress) and the docked list
(changes when the list does). The view, and its split into the parts' views, are
issdash.model.next_event's; a part is redrawn only when its own view changed, and within a
part only the lines whose text changed are updated.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.renderables.digits import Digits as BigDigits
from textual.strip import Strip
from textual.widgets import Digits, Static

from issdash.feeds.text import clean_text
from issdash.model.manoeuvres import Manoeuvre, delta_v_words
from issdash.model.next_event import (
    BAR_CELLS,
    ClockPart,
    DockedPart,
    NextEventView,
    TimelinePart,
    split_view,
)
from issdash.model.visits.timeline import AWAITING, Phase
from issdash.widgets import format as fmt
from issdash.widgets.guard import guarded
from issdash.widgets.kept_render import KeptRender
from issdash.widgets.style_cache import KeptStyles
from issdash.widgets.text_lines import same_text

_MARK = {"done": "✓", "current": "▶", "scheduled": "○", "estimated": "○"}


class NextEventPanel(KeptStyles, KeptRender, Vertical):
    """The next event: a launch, docking, hatch opening, undocking or landing, counted down."""

    COMPONENT_CLASSES = {
        "next-event--vehicle",
        "next-event--event",
        "next-event--muted",
        "next-event--done",
        "next-event--current",
        "next-event--upcoming",
        "next-event--warn",
        "next-event--crew",
        "next-event--cargo",
        "next-event--digits",
    }

    DEFAULT_CSS = """
    NextEventPanel { height: auto; padding: 0 1; }
    NextEventPanel NextEventPart { height: auto; }
    NextEventPanel Static { height: auto; }
    NextEventPanel Digits { width: auto; color: $warning; text-style: bold; }
    NextEventPanel > .next-event--vehicle { color: $foreground; text-style: bold; }
    NextEventPanel > .next-event--event { color: $accent; text-style: bold; }
    NextEventPanel > .next-event--muted { color: $foreground-darken-2; }
    NextEventPanel > .next-event--done { color: $success; }
    NextEventPanel > .next-event--current { color: $warning; text-style: bold; }
    NextEventPanel > .next-event--upcoming { color: $foreground; }
    NextEventPanel > .next-event--warn {
        color: $background;
        background: $warning;
        text-style: bold;
    }
    NextEventPanel > .next-event--crew { color: $accent; }
    NextEventPanel > .next-event--cargo { color: $foreground-darken-2; }
    NextEventPanel > .next-event--digits { color: $warning; text-style: bold; }
    NextEventPanel.-compact #next-event-timeline { display: none; }
    NextEventPanel.-compact #next-event-timeline-short { display: block; }
    NextEventPanel.-no-docked DockedList { display: none; }
    #next-event-timeline-short { display: none; }
    """

    view: reactive[NextEventView | None] = reactive(None, layout=False, repaint=False)
    """The moment to show; set by the app every tick."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = EventClock(self)
        self._phases = PhaseTimeline(self)
        self._docked = DockedList(self)
        self._parts: tuple[NextEventPart, ...] = (self._clock, self._phases, self._docked)
        # How much the panel shows, set by the app from the terminal's size class
        # (issdash.model.layout): the widget keeps no size of its own between resizes.
        self.big_digits = True
        self.detail = False

    def compose(self) -> ComposeResult:
        yield from self._parts

    def style_of(self, name: str) -> Style:
        return self.component_style(f"next-event--{name}")

    def apply_layout(
        self, *, full_timeline: bool, show_docked: bool, big_digits: bool, detail: bool
    ) -> None:
        """What to show at the terminal's size class (called on every resize)."""
        self.set_class(not full_timeline, "-compact")
        self.set_class(not show_docked, "-no-docked")
        self.big_digits = big_digits
        self.detail = detail
        self._redraw_all()

    def on_resize(self) -> None:
        # Column widths depend on the size: redraw every part once at the new size.
        self._redraw_all()

    def restyle(self) -> None:
        # Colours are baked into the parts' Text: redraw them all.
        self._redraw_all()

    def _redraw_all(self) -> None:
        for part in self._parts:
            part.redraw()

    @guarded(lambda self, view: None)
    def watch_view(self, view: NextEventView | None) -> None:
        if view is None or not self.is_mounted:
            return
        # Each part's own view compares equal when nothing it shows changed: then it is
        # neither rebuilt nor repainted.
        self._clock.view, self._phases.view, self._docked.view = split_view(view)


class _Line(KeptRender, Static):
    """A line of the panel: its lines kept while it shows the same (issdash.widgets.kept_render)."""


class _Count(KeptRender, Digits):
    """The big countdown: its three rows are the digits renderable's own, drawn once for each
    count, style and width. Textual's path for a widget's Rich renderable (aligned, measured,
    styled and cropped again on every request) was the largest part of an idle second's
    drawing."""

    _rows_for: tuple[str, int] | None = None
    _rows: list[Strip] = []
    # The widget's style with its ancestors' background (walking them costs more than the
    # rows): kept until its styles change, as `TextLines` keeps it.
    _style: Style | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = self._rows_for = None

    def render_line(self, y: int) -> Strip:
        if self._style is None:
            self._style, self._rows_for = self.rich_style, None
        style, width = self._style, self.size.width
        if self._rows_for != (self.value, width):
            # Segments only (typed as any Rich render result).
            digits = (
                s for s in BigDigits(self.value, style).render(style) if isinstance(s, Segment)
            )
            self._rows = [
                Strip(row).adjust_cell_length(width, style) for row in Segment.split_lines(digits)
            ]
            self._rows_for = (self.value, width)
        return self._rows[y] if y < len(self._rows) else Strip.blank(width, style)


class NextEventPart(KeptRender, Vertical):
    """One part of the next-event panel, drawn with the panel's component styles."""

    def __init__(self, panel: NextEventPanel) -> None:
        super().__init__()
        self._panel = panel
        self._shown: dict[str, Text | str] = {}

    def _s(self, name: str) -> Style:
        return self._panel.style_of(name)

    def draw(self) -> None:
        """Show the part's view (implemented by each part)."""
        raise NotImplementedError

    def on_resize(self) -> None:
        # Line widths depend on the part's own width (the docked list's columns).
        self.redraw()

    def redraw(self) -> None:
        """Draw every line again (new size or new styles)."""
        self._shown.clear()
        self.draw()

    def _set(self, child_id: str, content: Text | str) -> None:
        """Update a line only when its content changed."""
        previous = self._shown.get(child_id)
        if isinstance(content, Text) and isinstance(previous, Text):
            if same_text(previous, content):
                return
        elif previous == content:
            return
        self._shown[child_id] = content
        # Its own child, found by id at once (a query walks the DOM; this runs every tick).
        widget = self.get_child_by_id(child_id)
        if isinstance(widget, Digits):
            widget.update(str(content))
        elif isinstance(widget, Static):
            # A relayout redraws the whole screen; the ticking parts keep their height, so
            # ask for one only when the number of lines changes.
            lines = str(content).count("\n")
            widget.update(content, layout=previous is None or str(previous).count("\n") != lines)


class EventClock(NextEventPart):
    """The next event, the big countdown and when it is."""

    view: reactive[ClockPart | None] = reactive(None, layout=False, repaint=False)

    def compose(self) -> ComposeResult:
        yield _Line("", id="next-event-head", markup=False)
        yield _Count("", id="next-event-digits")
        yield _Line("", id="next-event-when", markup=False)

    @guarded(lambda self, view: None)
    def watch_view(self, view: ClockPart | None) -> None:
        self.draw()

    def draw(self) -> None:
        view = self.view
        if view is None or not self.is_mounted:
            return
        self._set("next-event-head", self._head(view))
        if view.burn is not None:
            digits = fmt.countdown(max(0.0, (view.burn.time - view.now).total_seconds()))
        elif view.next is not None and not view.next[1].unconfirmed(view.now):
            # The next event is ahead by definition: at its instant the digits rest at zero.
            digits = fmt.countdown(max(0.0, (view.next[1].time - view.now).total_seconds()))
        else:
            digits = "--:--:--"
        # Three rows of digits when the size class allows them and they fit the width
        # ("11d 10:29:56" is 34 columns); otherwise the count is the first thing on the
        # line below, never cut to its top row.
        big = self._panel.big_digits and BigDigits.get_width(digits) <= self.content_size.width
        widget = self.get_child_by_id("next-event-digits", Digits)
        if widget.display != big:
            widget.display = big
        self._set("next-event-digits", digits)
        self._set("next-event-when", self._when(view, one_line=not big))

    def _head(self, view: ClockPart) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if view.burn is not None:
            # A burn of the station's own: its size where the vehicle's name would be, and
            # the row's own name below (NASA's, "GMT057 Reboost").
            burn = view.burn
            text.append(burn.label.upper(), style=self._s("event"))
            size = delta_v_words(burn)
            if size:
                text.append(f"  {size}", style=self._s("vehicle"))
            text.append(f"\n{clean_text(burn.name, 40)}, NASA trajectory", style=self._s("muted"))
            return text
        if view.next is None:
            known = view.schedule_unknown is None
            text.append(
                "Nothing scheduled" if known else "Schedule not known", style=self._s("event")
            )
            if view.last is not None:
                timeline, phase = view.last
                ago = fmt.duration((view.now - phase.time).total_seconds())
                text.append(
                    f"\nlast: {timeline.vehicle} {phase.label.lower()}, {ago} ago",
                    style=self._s("muted"),
                )
            return text
        timeline, phase = view.next
        text.append(f"{phase.label.upper()}", style=self._s("event"))
        text.append(f"  {timeline.vehicle}", style=self._s("vehicle"))
        if phase.kind in ("docking", "hatch", "undocking") and timeline.port:
            text.append(
                f"\n{'at' if phase.kind != 'undocking' else 'from'} {timeline.port}",
                style=self._s("muted"),
            )
        elif timeline.launch_status and phase.kind == "launch":
            text.append(f"\nstatus {timeline.launch_status}", style=self._s("muted"))
        return text

    def _when(self, view: ClockPart, *, one_line: bool = False) -> Text:
        text = Text()
        muted = self._s("muted")
        if view.burn is not None:
            self._burn_when(view, view.burn, text, one_line=one_line)
        elif view.next is None and view.schedule_unknown is not None:
            text.append(clean_text(view.schedule_unknown.reason, 160), style=muted)
        elif view.next is None:
            text.append("no launch or docking in the schedule", style=muted)
            if view.schedule_partly is not None:
                text.append(f"\n{clean_text(view.schedule_partly.reason, 160)}", style=muted)
        elif view.next[1].unconfirmed(view.now):
            # Its time passed and no source says it happened: late, or not happening.
            timeline, phase = view.next
            text.append(f"expected {phase.time:%H:%M:%S}Z", style=self._s("current"))
            ago = fmt.duration((view.now - phase.time).total_seconds())
            text.append(f", {ago} ago", style=self._s("upcoming"))
            text.append("\n")
            text.append(" NOT CONFIRMED ", style=self._s("warn"))
            text.append(f" {AWAITING[phase.kind]}", style=muted)
        else:
            timeline, phase = view.next
            sign = "T-" if phase.kind == "launch" else "in"
            to_go = (phase.time - view.now).total_seconds()
            if one_line:
                # No big digits: the count to the second, in the digits' colour, leads.
                text.append(f"{sign} ", style=self._s("current"))
                text.append(fmt.countdown(max(0.0, to_go)), style=self._s("digits"))
            else:
                text.append(f"{sign} {fmt.duration(to_go)}", style=self._s("current"))
            text.append(f"  {phase.time:%H:%M:%S}Z", style=self._s("upcoming"))
            local = phase.time.astimezone(view.timezone)
            if local.utcoffset():  # local time is UTC (or GMT): the Z time just said it
                text.append(f"  {local:%H:%M} {local.tzname() or 'local'}", style=muted)
            if phase.estimated:
                text.append("  estimated", style=muted)
            if view.radar is not None:
                text.append(f"\nKurs radar {view.radar}", style=self._s("current"))
            launch = timeline.launch
            if launch is not None and launch.done and phase.kind != "launch":
                text.append(
                    f"\nT+ {fmt.countdown((view.now - launch.time).total_seconds())} since launch",
                    style=muted,
                )
            if phase.slip is not None:
                what = "SCRUB" if phase.kind == "launch" and phase.slip.scrubbed else "SLIP"
                delta = phase.slip.delta_s
                direction = "later" if delta > 0 else "earlier"
                text.append("\n")
                text.append(f" {what} ", style=self._s("warn"))
                text.append(
                    f" was {phase.slip.previous:%m-%d %H:%M}Z, {fmt.duration(delta)} {direction}",
                    style=self._s("upcoming"),
                )
        if view.schedule_stale and view.schedule_age_s is not None:
            text.append("\n")
            text.append(" STALE ", style=self._s("warn"))
            text.append(f" schedule {fmt.age(view.schedule_age_s)} old", style=muted)
        return text

    def _burn_when(self, view: ClockPart, burn: Manoeuvre, text: Text, *, one_line: bool) -> None:
        """When the burn is: days, hours and minutes to it, its time, and that it is a plan
        (nothing confirms a burn; a later trajectory would show it done or moved)."""
        muted = self._s("muted")
        to_go = max(0.0, (burn.time - view.now).total_seconds())
        if one_line:
            text.append("in ", style=self._s("current"))
            text.append(fmt.countdown(to_go), style=self._s("digits"))
        else:
            text.append(f"in {fmt.countdown(to_go)[:-3]}", style=self._s("current"))
        text.append(f"  {burn.time:%H:%M:%S}Z", style=self._s("upcoming"))
        local = burn.time.astimezone(view.timezone)
        if local.utcoffset():
            text.append(f"  {local:%H:%M} {local.tzname() or 'local'}", style=muted)
        text.append("  planned", style=muted)
        text.append("\na plan, not confirmed", style=muted)
        if view.schedule_unknown is not None:
            text.append(f"\n{clean_text(view.schedule_unknown.notice, 160)}", style=muted)


class PhaseTimeline(NextEventPart):
    """The vehicle's phases with their marks, and the progress bar (or one short line)."""

    view: reactive[TimelinePart | None] = reactive(None, layout=False, repaint=False)

    def compose(self) -> ComposeResult:
        yield _Line("", id="next-event-timeline", markup=False)
        yield _Line("", id="next-event-timeline-short", markup=False)

    @guarded(lambda self, view: None)
    def watch_view(self, view: TimelinePart | None) -> None:
        self.draw()

    def draw(self) -> None:
        view = self.view
        if view is None or not self.is_mounted:
            return
        self._set("next-event-timeline", self._timeline(view))
        self._set("next-event-timeline-short", self._timeline_short(view))

    def _phase_style(self, view: TimelinePart, phase: Phase) -> tuple[str, Style]:
        if phase.done:
            return _MARK["done"], self._s("done")
        if phase is view.current:
            return _MARK["current"], self._s("current")
        return _MARK[phase.status], self._s("upcoming")

    def _timeline(self, view: TimelinePart) -> Text:
        text = Text()
        timeline = view.timeline
        if timeline is None:
            return text
        text.append(f"{timeline.vehicle}\n", style=self._s("vehicle"))
        width = max(cell_len(p.label) for p in timeline.phases)
        for phase in timeline.phases:
            mark, style = self._phase_style(view, phase)
            text.append(f" {mark} {phase.label.ljust(width)}  ", style=style)
            text.append(f"{phase.time:%H:%M:%S}Z", style=style)
            if phase.time.date() != view.today:
                text.append(f" {phase.time:%b %d}", style=self._s("muted"))
            if phase.estimated:
                # Confirmed or not, the time is the profile's guess, not when it happened.
                text.append(" ~est", style=self._s("muted"))
            text.append("\n")
        text.append(self._progress(view))
        return text

    def _timeline_short(self, view: TimelinePart) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if view.timeline is None:
            return text
        for phase in view.timeline.phases:
            mark, style = self._phase_style(view, phase)
            short = {"insertion": "Orbit", "hatch": "Hatch"}.get(phase.kind, phase.label)
            text.append(f"{mark}{short} ", style=style)
        return text

    def _progress(self, view: TimelinePart) -> Text:
        text = Text(" ")
        text.append("━" * view.filled, style=self._s("done"))
        text.append("━" * (BAR_CELLS - view.filled), style=self._s("muted"))
        text.append(f" {view.percent}", style=self._s("muted"))
        return text


class DockedList(NextEventPart):
    """The vehicles docked now, or why that is not known."""

    view: reactive[DockedPart | None] = reactive(None, layout=False, repaint=False)

    def compose(self) -> ComposeResult:
        yield _Line("", id="next-event-docked", markup=False)

    @guarded(lambda self, view: None)
    def watch_view(self, view: DockedPart | None) -> None:
        self.draw()

    def draw(self) -> None:
        view = self.view
        if view is None or not self.is_mounted:
            return
        self._set("next-event-docked", self._docked_list(view))

    def _docked_list(self, view: DockedPart) -> Text:
        text = Text()
        muted = self._s("muted")
        if view.docked is None:
            text.append("\nDocked", style=self._s("vehicle"))
            text.append("  ")
            text.append(" NOT KNOWN ", style=self._s("warn"))
            reason = view.unknown.reason if view.unknown else "no list yet"
            text.append(f"\n {clean_text(reason, 160)}", style=muted)
            return text
        text.append(f"\nDocked ({len(view.docked)})", style=self._s("vehicle"))
        if view.stale_age is not None:
            text.append("  ")
            text.append(" STALE ", style=self._s("warn"))
            text.append(f" list {view.stale_age} old\n", style=muted)
        else:
            text.append("  ● crew  ▪ cargo\n", style=muted)
        if not view.docked:
            text.append(" none docked, says the list", style=muted)
            return text
        name_w = max(cell_len(v.name) for v, _ in view.docked)
        port_w = max(cell_len(v.port or "") for v, _ in view.docked)
        available = max(20, self.content_size.width)
        # The port gives way first, then an absurdly long name; the days always fit.
        name_w = min(name_w, available - 18)
        port_w = max(6, min(port_w, available - name_w - 12))
        for v, days in view.docked:
            mark, style = ("●", self._s("crew")) if v.type == "crew" else ("▪", self._s("cargo"))
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f" {mark} ", style=style)
            name = Text(v.name, style=self._s("upcoming"))
            name.truncate(name_w, overflow="ellipsis", pad=True)
            line.append(name)
            port = Text(v.port or "", style=muted)
            port.truncate(port_w, overflow="ellipsis", pad=True)
            line.append("  ")
            line.append(port)
            if days is not None:
                line.append(f"  {days:>3} d", style=muted)
            text.append(line)
            text.append("\n")
            if self._panel.detail and v.crew:
                # Room to spare (a large terminal): who came on each crew vehicle.
                crew = Text(no_wrap=True, overflow="ellipsis")
                crew.append("   " + " · ".join(v.crew), style=muted)
                crew.truncate(available, overflow="ellipsis")
                text.append(crew)
                text.append("\n")
        text.rstrip()
        return text
