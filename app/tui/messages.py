"""Messages of the Textual app."""

from __future__ import annotations

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
