"""The one banner across the top of the screen: every feed down (saying how old what is shown
is), or a big moment of a visit (liftoff, docking, hatch opening) for a few seconds: in
green when a source confirmed it, in amber when its time came and none has yet ("DOCKING ...
expected 08:57Z, not confirmed").

Feeds down wins: a moment is only as good as the data that says it happened.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from issdash.model.alert_banner import AlertView
from issdash.widgets import format as fmt
from issdash.widgets.guard import guarded, render_failed
from issdash.widgets.kept_render import KeptRender


class AlertBanner(KeptRender, Widget):
    DEFAULT_CSS = """
    AlertBanner { height: 1; background: $error; color: $background; text-style: bold;
                  padding: 0 1; display: none; }
    AlertBanner.-shown { display: block; }
    AlertBanner.-moment { height: 3; background: $success; color: $background;
                          content-align: center middle; }
    AlertBanner.-moment.-unconfirmed { background: $warning; }
    """

    view: reactive[AlertView | None] = reactive(None)
    """Whether to show, and what; set by the app."""

    def watch_view(self, view: AlertView | None) -> None:
        alarm = view is not None and view.all_down
        moment = view is not None and not alarm and view.moment is not None
        self.set_class(alarm or moment, "-shown")
        self.set_class(moment, "-moment")
        shown = view.moment if moment and view is not None else None
        self.set_class(shown is not None and not shown.confirmed, "-unconfirmed")

    @guarded(render_failed)
    def render(self) -> Text:
        view = self.view
        if view is None:
            return Text("")
        if view.all_down:
            text = Text(f"⚠ ALL {view.feeds} FEEDS DOWN", no_wrap=True, overflow="ellipsis")
            if view.newest_data_age_s is None:
                text.append(" · nothing received yet · retrying")
            else:
                text.append(
                    f" · showing data from {fmt.age(view.newest_data_age_s)} ago · retrying"
                )
            return text
        if view.moment is not None:
            # Spaced out so it reads as a headline, not as one more status line.
            return Text(f"★  {view.moment.text()}  ★", no_wrap=True, overflow="ellipsis")
        return Text("")
