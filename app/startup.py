"""Start-up without the cyclic garbage collector.

Importing Textual, pydantic, numpy and skyfield and building the screen creates several
hundred thousand objects and almost no garbage, yet the collector kept walking through
them: about 100 ms of a 0.8 s import on the reference machine. So the command line pauses
the collector first thing, and once the first frame is drawn (or a command without a screen
is about to do its work) the objects made so far are frozen, never to be scanned again,
and the collector runs as usual. On a kiosk that also keeps every later full collection
from walking the whole of Textual.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collector() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Freeze what start-up built and turn the collector back on (if we paused it)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
