"""The floor for `make bench`: the cheapest possible Textual program, one static line.

With `--libraries`, it first imports the libraries the design card fixes and the dashboard's
first frame needs (numpy and skyfield's modules for the map, pydantic and pydantic-settings for
the settings), and draws nothing more: what those imports alone add to a bare app's first
frame, a figure `make bench` shows beside the first-frame budgets for context.
"""

import sys

from textual.app import App, ComposeResult
from textual.widgets import Static

# The same modules the dashboard's start loads from each (issdash.model.orbit, config.settings).
LIBRARIES = (
    "numpy",
    "pydantic",
    "pydantic_settings",
    "skyfield.timelib",
    "skyfield.sgp4lib",
    "skyfield.jpllib",
    "skyfield.toposlib",
)


class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("floor: one static line")


if __name__ == "__main__":
    if "--libraries" in sys.argv[1:]:
        import importlib

        for name in LIBRARIES:
            importlib.import_module(name)
    Floor().run()
