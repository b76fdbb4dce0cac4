"""A banner across the screen when every feed is down, saying how old what is shown is."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from widgets import format as fmt
from widgets.guard import guarded, render_failed


@dataclass(frozen=True, slots=True)
class AlertView:
    all_down: bool
    newest_data_age_s: float | None  # the freshest data on screen, or None if there is none
    feeds: int


class AlertBanner(Widget):
    DEFAULT_CSS = """
    AlertBanner { height: 1; background: $error; color: $background; text-style: bold;
                  padding: 0 1; display: none; }
    AlertBanner.-shown { display: block; }
    """

    view: reactive[AlertView | None] = reactive(None)
    """Whether to show, and what; set by the app."""

    def watch_view(self, view: AlertView | None) -> None:
        self.set_class(view is not None and view.all_down, "-shown")

    @guarded(render_failed)
    def render(self) -> Text:
        view = self.view
        if view is None or not view.all_down:
            return Text("")
        text = Text(f"⚠ ALL {view.feeds} FEEDS DOWN", no_wrap=True, overflow="ellipsis")
        if view.newest_data_age_s is None:
            text.append(" · nothing received yet · retrying")
        else:
            text.append(f" · showing data from {fmt.age(view.newest_data_age_s)} ago · retrying")
        return text
