"""The feed-health strip: each feed's state and the age of its last good data, plus the
latest thing that went wrong, in words."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from issdash.feeds.health import FeedHealth
from issdash.feeds.text import clean_text
from issdash.model.feed_health import HealthView
from issdash.widgets import format as fmt
from issdash.widgets.text_lines import TextLines

_SYMBOL = {"ok": "●", "stale": "◐", "down": "○", "disabled": "·"}


class FeedHealthStrip(TextLines):
    """One line of feed states; a second line for the most recent error, when there is one."""

    COMPONENT_CLASSES = {
        "feed-health--ok",
        "feed-health--stale",
        "feed-health--down",
        "feed-health--disabled",
        "feed-health--name",
        "feed-health--error",
    }

    DEFAULT_CSS = """
    FeedHealthStrip {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $panel;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    FeedHealthStrip > .feed-health--ok { color: $success; }
    FeedHealthStrip > .feed-health--stale { color: $warning; text-style: bold; }
    FeedHealthStrip > .feed-health--down { color: $error; text-style: bold; }
    FeedHealthStrip > .feed-health--disabled { color: $foreground-darken-3; }
    FeedHealthStrip > .feed-health--name { color: $foreground; }
    FeedHealthStrip > .feed-health--error { color: $error; }
    """

    view: reactive[HealthView | None] = reactive(None, layout=False, repaint=False)
    """Feed health at one moment; set by the app."""

    def watch_view(self) -> None:
        # Only changed lines are redrawn; most seconds only the position feed's age moves.
        self.redraw_lines()

    def build_lines(self) -> list[Text]:
        view = self.view
        if view is None:
            return []
        name_style = self.component_style("feed-health--name")
        muted = self.component_style("feed-health--disabled")
        error_style = self.component_style("feed-health--error")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("Feeds", style=name_style)
        latest_error: FeedHealth | None = None
        off: list[str] = []
        # Feeds down that never answered carry no age: when several are, they are named in
        # one group ("○ down: tle, position, ...") so that every name fits the line.
        never = [
            name
            for name, health in view.feeds.items()
            if health.state(view.now) == "down" and health.age_s(view.now) is None
        ]
        grouped = set(never) if len(never) >= _GROUP_DOWN_FROM else set()
        if grouped:
            style = self.component_style("feed-health--down")
            line.append(f"  {_SYMBOL['down']} down: ", style=style)
            line.append(", ".join(never), style=name_style)
        for name, health in view.feeds.items():
            state = health.state(view.now)
            if state == "disabled" and name in view.not_recorded:
                continue
            if state == "disabled":
                off.append(name)
                continue
            if name in grouped:
                latest_error = _later_error(latest_error, health)
                continue
            style = self.component_style(f"feed-health--{state}")
            line.append(f"  {_SYMBOL[state]} ", style=style)
            line.append(name, style=name_style)
            age = health.age_s(view.now)
            # "ok" is said by the colour and the dot; trouble is also said in words.
            waiting = health.last_success_at is None and health.last_error is None
            label = "" if state == "ok" else " waiting" if waiting else f" {state}"
            if age is not None:
                label += f" {fmt.age(age)}"
            elif waiting and health.overdue(view.now) and health.waiting_since is not None:
                # Past its first deadline: it counts as down for the banner; say for how long.
                label += f" {fmt.age((view.now - health.waiting_since).total_seconds())}"
            line.append(label, style=style)
            latest_error = _later_error(latest_error, health)
        if off:
            line.append(f"  · off: {', '.join(off)}", style=muted)
        lines = [line]
        if latest_error is not None:
            health = latest_error
            detail = Text(no_wrap=True, overflow="ellipsis", end="")
            detail.append(
                f"⚠ {health.name}: {clean_text(health.last_error or '', 120)}", style=error_style
            )
            if health.retry_in_s is not None and health.last_attempt_at is not None:
                waited = (view.now - health.last_attempt_at).total_seconds()
                detail.append(
                    f" · retry in {fmt.duration(max(0.0, health.retry_in_s - waited))}", style=muted
                )
            if health.last_success_at is not None:
                detail.append(" · showing last good data", style=muted)
            lines.append(detail)
        else:
            # No failure to show: a feed that sent data dated in the future says so in words.
            dated = next(
                (
                    (h.name, words)
                    for h in view.feeds.values()
                    if h.enabled and (words := h.source_time_problem(view.now)) is not None
                ),
                None,
            )
            if dated is not None:
                lines.append(
                    Text(
                        f"⚠ {dated[0]}: {clean_text(dated[1], 160)}",
                        style=error_style,
                        no_wrap=True,
                        overflow="ellipsis",
                        end="",
                    )
                )
        for notice in view.notices[-1:]:
            lines.append(
                Text(
                    f"ⓘ {clean_text(notice, 120)}",
                    style=self.component_style("feed-health--stale"),
                    no_wrap=True,
                    overflow="ellipsis",
                    end="",
                )
            )
        return lines


# From this many feeds down without ever answering, they are named as one group.
_GROUP_DOWN_FROM = 3


def _later_error(shown: FeedHealth | None, health: FeedHealth) -> FeedHealth | None:
    """The feed whose error is the one to show: the latest attempt that failed."""
    if (
        health.last_error
        and health.last_attempt_at is not None
        and (
            shown is None
            or shown.last_attempt_at is None
            or health.last_attempt_at >= shown.last_attempt_at
        )
    ):
        return health
    return shown
