"""The top bar: what this screen is (live, offline, or a replay), and the mission clock in UTC.

The badge says LIVE only while the feeds answer (issdash.model.certainty.mode_badge decides); its
words and its colour say the same thing, so neither a glance nor a colour-blind reader is misled.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from issdash.model.certainty import Badge
from issdash.model.mission_bar import MissionBarView
from issdash.widgets.text_lines import TextLines


class MissionBar(TextLines):
    """Title, mode badge and the mission clock."""

    COMPONENT_CLASSES = {
        "mission-bar--title",
        "mission-bar--live",
        "mission-bar--degraded",
        "mission-bar--offline",
        "mission-bar--demo",
        "mission-bar--hint",
        "mission-bar--clock",
        "mission-bar--muted",
        "mission-bar--alarm",
    }

    DEFAULT_CSS = """
    MissionBar { height: 1; background: $panel; padding: 0 1; }
    MissionBar > .mission-bar--title { color: $accent; text-style: bold; }
    MissionBar > .mission-bar--live { background: $success; color: $background; text-style: bold; }
    MissionBar > .mission-bar--degraded {
        background: $warning; color: $background; text-style: bold;
    }
    MissionBar > .mission-bar--offline { background: $error; color: $background; text-style: bold; }
    MissionBar > .mission-bar--demo { background: $warning; color: $background; text-style: bold; }
    MissionBar > .mission-bar--hint { color: $warning; }
    MissionBar > .mission-bar--clock { color: $foreground; text-style: bold; }
    MissionBar > .mission-bar--muted { color: $foreground-darken-2; }
    MissionBar > .mission-bar--alarm { background: $error; color: $background; text-style: bold; }
    """

    view: reactive[MissionBarView | None] = reactive(None, layout=False, repaint=False)
    """Clock and mode to show; set by the app every tick."""

    def watch_view(self) -> None:
        self.redraw_lines()

    def build_lines(self) -> list[Text]:
        return [self._line()]

    def _line(self) -> Text:
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("◉ ISSDASH ", style=self.component_style("mission-bar--title"))
        if view is None:
            return text
        if view.mode == "demo":
            text.append(" REPLAY ", style=self.component_style("mission-bar--demo"))
        else:
            badge = view.badge or Badge("LIVE", "live")
            level = "live" if badge.level == "replay" else badge.level
            # A wrong clock makes every age and countdown wrong: its words come before the
            # count of feeds down, which the feeds bar below lists.
            label = (badge.short or badge.label) if view.clock_warning else badge.label
            text.append(f" {label} ", style=self.component_style(f"mission-bar--{level}"))
        text.append(
            f"  {view.now:%Y-%m-%d %H:%M:%S} UTC",
            style=self.component_style("mission-bar--clock"),
        )
        muted = self.component_style("mission-bar--muted")
        if view.clock_warning:
            text.append("  ")
            text.append(" CLOCK? ", style=self.component_style("mission-bar--alarm"))
            text.append(f" {view.clock_warning}", style=self.component_style("mission-bar--clock"))
        if view.mode == "demo":
            if view.ended:
                text.append("  ")
                text.append(
                    " END OF RECORDING · r restarts ",
                    style=self.component_style("mission-bar--demo"),
                )
            elif view.paused:
                text.append("  ")
                text.append(" PAUSED ", style=self.component_style("mission-bar--demo"))
                text.append(f" ×{view.speed:g}", style=muted)
            else:
                text.append(f"  ×{view.speed:g}", style=self.component_style("mission-bar--clock"))
        if view.burn:
            text.append(f"  {view.burn}", style=self.component_style("mission-bar--hint"))
        if view.detail:
            text.append(f"  {view.detail}", style=muted)
        if view.mode != "demo" and view.badge is not None and view.badge.hint:
            text.append(f"  {view.badge.hint}", style=self.component_style("mission-bar--hint"))
        return text
