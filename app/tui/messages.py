"""Messages of the Textual app."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from issdash.model.state import MissionState


class StateChanged(Message):
    """The state has a new snapshot that changes what is drawn.

    Feeds publish in bursts (all of them at start-up, several after a replay jump): a newer
    StateChanged waiting right behind this one replaces it, so a burst is drawn once, from
    the latest snapshot, without a flag of our own to track it.
    """

    def __init__(self, state: MissionState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StateChanged)


def data_shape(state: MissionState) -> tuple[object, ...]:
    """Which kinds of data the state has at all, which feeds are failing, and the notices:
    changes to any of these are drawn at once, not at the next tick."""
    failing = tuple(h.last_error is not None for h in state.feeds.values())
    return (state.mode, not state.element_sets, frozenset(state.received), failing, state.notices)


class ShapeWatch:
    """Subscribed to the store: posts StateChanged when the state's shape changes.

    A feed's first answer is drawn at once (the first frame waits for nothing); later answers
    are drawn by the next tick, at most one tick interval away. At replay speed 60 the feeds
    publish several times a second, and each publish redrew the whole screen between ticks.
    """

    def __init__(self, post: Callable[[Message], object]) -> None:
        self.post = post
        self.drawn: tuple[object, ...] = ()

    def __call__(self, state: MissionState) -> None:
        shape = data_shape(state)
        if shape != self.drawn:
            self.drawn = shape
            self.post(StateChanged(state))
