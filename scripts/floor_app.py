"""The floor for `make bench`: the cheapest possible Textual program, one static line."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("floor: one static line")


if __name__ == "__main__":
    Floor().run()
