"""The size class on screen: the app's classes (the tcss reads them), the side column's
width, the notice below the minimum, and each registry panel shown or not and fitted.

Everything comes from the `SizeClass`, a pure function of the terminal's size
(issdash.model.layout): nothing is kept between sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.widgets import Static

from issdash.model.layout import SIZE_NAMES, SizeClass
from issdash.tui.panels import Mounted


def size_classes(
    app: App[Any], layout: SizeClass, panels: Iterable[Mounted], *, update: bool = True
) -> None:
    """The app's classes and each panel's box's, for `layout`. With `update=False` nothing is
    restyled: for the classes set as the screen is composed, before anything is styled (each
    class changed on the app afterwards restyles every widget on screen)."""
    for name in SIZE_NAMES:
        app.set_class(name == layout.name, f"-size-{name}", update=update)
    app.set_class(layout.narrow, "-narrow", update=update)
    app.set_class(layout.short, "-short", update=update)
    app.set_class(not layout.show_telemetry, "-no-telemetry", update=update)
    for mounted in panels:
        mounted.box.set_class(layout.name not in mounted.panel.sizes, "-off-size", update=update)


def apply_size_class(app: App[Any], layout: SizeClass, panels: Iterable[Mounted]) -> None:
    size_classes(app, layout, panels)
    notice = app.query_one("#too-small", Static)
    notice.update(layout.too_small_message() if layout.too_small else "")
    app.query_one("#side").styles.width = layout.side_width
    for mounted in panels:
        if mounted.fit is not None:
            mounted.fit(layout)
