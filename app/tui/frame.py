"""One tick's inputs for every panel: what its view builder is given.

Built by the dashboard once a tick, before any panel is updated; each panel's `show` makes
its view from it (pure builders in issdash.model) and hands it to its widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from issdash.config.settings import Settings
from issdash.model.map.scene import MapToggles
from issdash.model.passes.finder import Pass
from issdash.model.state import MissionState
from issdash.model.telemetry import Orbit
from issdash.model.visits.launch_card import LaunchCardView
from issdash.model.visits.moments import Moment
from issdash.model.visits.timeline import Timeline


@dataclass(frozen=True, slots=True)
class Frame:
    now: datetime
    # The state as it is, and `known`: without the answers too old to describe now
    # (issdash.model.certainty.trusted).
    state: MissionState
    known: MissionState
    settings: Settings
    # The elements chosen for now and the station's telemetry from them (None: no elements).
    orbit: Orbit | None = None
    # The moment announced in the banner (liftoff, docking, hatch opening), if any.
    moment: Moment | None = None
    # The vehicles' timelines from `known` at `now` (built once a tick; None: not built).
    timelines: list[Timeline] | None = None
    # The launch card's view (None: no launch close enough); its pad is marked on the map.
    card: LaunchCardView | None = None
    # The planner's passes (ten days; None while searched) and why none are offered.
    passes: tuple[Pass, ...] | None = None
    passes_withheld: str | None = None
    # The zone pass times are said in (the observer's place's).
    pass_zone: tzinfo | None = None
    toggles: MapToggles = field(default_factory=MapToggles)
    # How the terminal draws flags (issdash.model.terminal.capabilities.flag_style).
    flags: str = "emoji"

    @property
    def pad(self) -> tuple[float, float] | None:
        """The pad of the launch on the card, marked on the map."""
        return self.card.pad_place if self.card is not None else None
