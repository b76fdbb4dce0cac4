"""The dashboard's panels, one registry entry each: the app composes, updates and lays out
by looping over `PANELS`.

An entry says everything about its panel: its id and title, its widget, how the widget is
given its view every tick (a pure builder in issdash.model, fed the tick's `Frame`), where it
goes (its column, in registry order) and at which size classes it shows, how it fits a size
class, and whether the kiosk's cycle emphasises it. A new panel is an entry here, a view
builder in app/model/ and a widget in widgets/ (docs/architecture.md): nothing else to edit.

The chrome around the panels (the mission bar, the alert banner, the feed-health strip, the
footer) is not a panel: it is fixed, in dashboard.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer

from issdash.model.crew_roster import build_crew_view
from issdash.model.kiosk import STATION_VIEW, VIEWS
from issdash.model.layout import SIZE_NAMES, SizeClass, SizeName
from issdash.model.map.glyphs import MapGlyphs
from issdash.model.next_event import build_next_event_view
from issdash.model.station_panel import build_station_view
from issdash.model.telemetry import build_telemetry_view
from issdash.tui.frame import Frame
from issdash.tui.map_panel import MAP_LEGEND, MapScenes
from issdash.widgets.crew_roster import CrewRoster
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.kept_render import KeptRender
from issdash.widgets.launch_card import LaunchCard
from issdash.widgets.next_event import NextEventPanel
from issdash.widgets.station_panel import StationPanel
from issdash.widgets.telemetry import TelemetryPanel

if TYPE_CHECKING:
    from issdash.widgets.passes.planner import PassPlanner

W = TypeVar("W", bound=Widget)
Column = Literal["left", "side"]
Update = Callable[[Frame], None]

# Every size class (below the minimum only the notice shows, whatever an entry says).
EVERY_SIZE: frozenset[SizeName] = frozenset(SIZE_NAMES)


class Box(KeptRender, Vertical):
    """A panel's titled box; its border kept while nothing of it changes (the panel inside
    changes every second, the box seldom: issdash.widgets.kept_render)."""


class ScrollBox(KeptRender, VerticalScroll):
    """A titled box that scrolls, kept the same way."""


class Row(KeptRender, Horizontal):
    """The body's row of columns, kept the same way."""


class KeptFooter(KeptRender, Footer):
    """The footer, kept the same way (its keys change with the screen, not each second)."""


@dataclass(frozen=True, slots=True)
class Looks:
    """How this terminal draws, for the widgets that need to know when they are made."""

    map_glyphs: MapGlyphs
    flags: str = "emoji"


@dataclass(frozen=True, slots=True)
class Panel(Generic[W]):
    """One panel. The widget goes in a titled box (`#<box_id>`, `#<id>-panel` by default) in
    its column; every tick `show(widget, frame)` gives it its view (or, for a panel that keeps
    something between ticks, `keeps(widget)` makes the per-tick update once, when mounted)."""

    id: str
    title: str
    column: Column
    widget: Callable[[Looks], W]
    show: Callable[[W, Frame], None] | None = None
    keeps: Callable[[W], Update] | None = None
    subtitle: str = ""
    # The size classes at which it shows; at others its box is hidden (class `-off-size`).
    sizes: frozenset[SizeName] = EVERY_SIZE
    # What it does at a size class (called on every resize), if it changes with the size.
    fit: Callable[[W, SizeClass], None] | None = None
    # Its name in the kiosk's emphasis cycle (None: never emphasised), and the feed that must
    # be on for it to join the cycle.
    kiosk: str | None = None
    kiosk_feed: str | None = None
    kiosk_only: bool = False  # shown only on a kiosk
    scroll: bool = False  # a scrolling box, for a widget taller than its room
    box: str = ""

    @property
    def box_id(self) -> str:
        return self.box or f"{self.id}-panel"

    def mount(self, looks: Looks) -> Mounted:
        """A new widget in its titled box, and its per-tick update and fit (typed here, where
        W is known)."""
        widget = self.widget(looks)
        box = (ScrollBox if self.scroll else Box)(widget, id=self.box_id, classes="panel")
        box.border_title = self.title
        box.border_subtitle = self.subtitle or None
        update: Update | None = None
        if self.keeps is not None:
            update = self.keeps(widget)
        elif self.show is not None:
            update = partial(self.show, widget)
        fit = self.fit
        return Mounted(
            self, widget, box, update, (lambda layout: fit(widget, layout)) if fit else None
        )


class Declared(Protocol):
    """Any `Panel[W]`, whatever its widget type (what the dashboard needs of one)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def subtitle(self) -> str: ...
    @property
    def column(self) -> Column: ...
    @property
    def sizes(self) -> frozenset[SizeName]: ...
    @property
    def kiosk(self) -> str | None: ...
    @property
    def kiosk_feed(self) -> str | None: ...
    @property
    def kiosk_only(self) -> bool: ...
    @property
    def scroll(self) -> bool: ...
    @property
    def box_id(self) -> str: ...
    def mount(self, looks: Looks) -> Mounted: ...


@dataclass(frozen=True, slots=True)
class Mounted:
    """A panel on screen: its widget in its box, its update every tick and its fit at every
    resize."""

    panel: Declared
    widget: Widget
    box: Widget
    update: Update | None
    fit: Callable[[SizeClass], None] | None


def kiosk_cycle(panels: Iterable[Declared], feeds_on: Iterable[str]) -> tuple[str, ...]:
    """The kiosk's emphasis cycle: the panels that join it (those whose feed is on), in the
    kiosk model's order (issdash.model.kiosk), then any other in registry order."""
    on = set(feeds_on)
    names = [p.kiosk for p in panels if p.kiosk and (p.kiosk_feed is None or p.kiosk_feed in on)]
    order = (*VIEWS, STATION_VIEW)
    ranked = sorted(dict.fromkeys(names), key=lambda n: order.index(n) if n in order else 99)
    return tuple(ranked)


# -- the panels' updates: each builds its view (issdash.model) and hands it to the widget --


def _show_card(widget: LaunchCard, frame: Frame) -> None:
    widget.view = frame.card


def _fit_card(widget: LaunchCard, layout: SizeClass) -> None:
    widget.apply_layout(compact=layout.short, lines=layout.card_lines)


def _card(looks: Looks) -> LaunchCard:
    card = LaunchCard(id="launch-card")
    card.flags = looks.flags
    return card


def _kiosk_planner(looks: Looks) -> PassPlanner:
    # Imported only for a kiosk (the one dashboard that shows a planner among its panels).
    from issdash.widgets.passes.planner import PassPlanner

    return PassPlanner(id="kiosk-planner", glyphs=looks.map_glyphs)


def _show_crew(widget: CrewRoster, frame: Frame) -> None:
    widget.view = build_crew_view(frame.state, frame.known, frame.now, frame.flags)


def _show_telemetry(widget: TelemetryPanel, frame: Frame) -> None:
    widget.view = build_telemetry_view(
        frame.orbit,
        frame.state,
        frame.now,
        passes=frame.passes,
        passes_withheld=frame.passes_withheld,
        min_elevation_deg=frame.settings.min_elevation_deg,
        zone=frame.pass_zone,
    )


def _show_station(widget: StationPanel, frame: Frame) -> None:
    widget.view = build_station_view(frame.state, frame.now)


def _show_next_event(widget: NextEventPanel, frame: Frame) -> None:
    widget.view = build_next_event_view(
        frame.state,
        frame.known,
        frame.now,
        frame.settings.tzinfo(),
        frame.moment,
        timelines=frame.timelines,
    )


def _fit_next_event(widget: NextEventPanel, layout: SizeClass) -> None:
    widget.apply_layout(
        full_timeline=layout.full_timeline,
        show_docked=layout.show_docked,
        big_digits=layout.big_digits,
        detail=layout.detail,
    )


# The panels, in order within their column.
PANELS: tuple[Declared, ...] = (
    Panel(
        id="map",
        title="Ground track",
        subtitle=MAP_LEGEND,
        column="left",
        widget=lambda looks: GroundTrackMap(id="map", glyphs=looks.map_glyphs),
        keeps=MapScenes,
        kiosk="map",
    ),
    # Only while a launch is close (the app's `-launch-card` class).
    Panel(
        id="launch-card",
        box="launch-panel",
        title="Next launch",
        subtitle="Launch Library 2",
        column="left",
        widget=_card,
        show=_show_card,
        fit=_fit_card,
    ),
    Panel(
        id="crew",
        title="Crew aboard the ISS",
        column="left",
        widget=lambda _: CrewRoster(id="crew"),
        show=_show_crew,
        fit=lambda widget, layout: widget.apply_layout(layout.roster),
        kiosk="crew",
        scroll=True,
    ),
    # The kiosk's "passes" view: the planner in place of the map and crew, beside the next
    # event (which is never hidden). The pass control updates it (issdash.tui.passes).
    Panel(
        id="kiosk-planner",
        box="passes-panel",
        title="Passes",
        column="left",
        widget=_kiosk_planner,
        kiosk="passes",
        kiosk_only=True,
    ),
    Panel(
        id="telemetry",
        title="Telemetry",
        column="side",
        widget=lambda _: TelemetryPanel(id="telemetry"),
        show=_show_telemetry,
        sizes=frozenset({"medium", "standard", "large"}),
    ),
    # Only when the telemetry feed is on; on short terminals only in its own view (key s).
    Panel(
        id="station",
        title="Station",
        subtitle="NASA ISSLIVE",
        column="side",
        widget=lambda _: StationPanel(id="station"),
        show=_show_station,
        kiosk="station",
        kiosk_feed="telemetry",
    ),
    Panel(
        id="next-event",
        title="Next event",
        column="side",
        widget=lambda _: NextEventPanel(id="next-event"),
        show=_show_next_event,
        fit=_fit_next_event,
        kiosk="vehicles",
        scroll=True,
    ),
)
