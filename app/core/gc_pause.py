"""Start-up without the cyclic garbage collector.

Importing Textual, numpy and skyfield, building pydantic models and the screen creates
several hundred thousand objects and almost no garbage, yet the collector kept walking
through them: about 100 ms of a 0.8 s start on the reference machine. So `main()` pauses
the collector as it begins (after the command line module's own imports). The dashboard,
once its first frame is drawn, collects once, freezes what start-up built (never to be
scanned again; on a kiosk every later full collection stays small), gives the C heap's free
pages back, and turns the collector back on. Every other way out of `main()` (a subcommand
finishing, an argument error) simply turns it back on.
"""

from __future__ import annotations

import atexit
import gc

_paused = False
_exit_frozen = False


def pause_collector() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def collector_paused() -> bool:
    """Whether `pause_collector` paused it and nothing has resumed it since."""
    return _paused


def resume_collector(*, freeze: bool = False) -> None:
    """Turn the collector back on if we paused it; with `freeze`, first collect and freeze
    the survivors (start-up's long-lived objects)."""
    global _paused
    if _paused:
        _paused = False
        if freeze:
            gc.collect()
            gc.freeze()
            release_free_heap()
        gc.enable()


def release_free_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's `malloc_trim`; nothing
    elsewhere). Start-up frees much of what it built (first-frame temporaries, parsing) in
    pages the allocator keeps: a few MB of every dashboard's memory, and in a session of
    `issdash serve` (forked from one parent) many of them its private copies of the parent's
    pages: measured ~3 MB of PSS per session."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def freeze_at_exit() -> None:
    """At exit, freeze every object before the interpreter's own last collections, so they
    skip what the process built (numpy, skyfield, pydantic: several hundred thousand objects,
    almost none garbage): a quarter to half a second of an offline `status`, for memory the
    system takes back anyway. What must be written at exit is not left to the collector: the
    log's handlers close in logging's own exit handler, stdout is flushed by the command."""
    global _exit_frozen
    if not _exit_frozen:
        _exit_frozen = True
        atexit.register(gc.freeze)
