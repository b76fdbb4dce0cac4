"""The kiosk's pass banner: "ISS visible in 10 min, look NW, up to 64°, very bright", from the
alert lead time until the pass stops being visible."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from issdash.model.passes.alerts import PassAlert
from issdash.widgets.guard import guarded, render_failed


class PassBanner(Widget):
    DEFAULT_CSS = """
    PassBanner { height: 1; background: $success; color: $background; text-style: bold;
                 padding: 0 1; display: none; }
    PassBanner.-shown { display: block; }
    PassBanner.-now { background: $warning; }
    """

    alert: reactive[PassAlert | None] = reactive(None)
    """The alert to show, or None; set by the app on every tick."""

    def watch_alert(self, alert: PassAlert | None) -> None:
        self.set_class(alert is not None, "-shown")
        self.set_class(alert is not None and alert.kind == "now", "-now")

    @guarded(render_failed)
    def render(self) -> Text:
        alert = self.alert
        if alert is None:
            return Text("")
        # Our own words (compass points, numbers): plain text, never markup.
        return Text(f"★ {alert.message}", no_wrap=True, overflow="ellipsis")
