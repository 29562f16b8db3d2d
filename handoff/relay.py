"""One way for the hand-off to reach a customer, whatever their channel.

Every agent message is written to the conversation's tracker (so the
transcript is complete and the REST/web customer receives it); channels with
their own outbound API (SMS, RCS) also push it there.
"""

from __future__ import annotations

import time
from typing import Callable, Dict, Protocol

from handoff.rasa_api import RasaApi


class CustomerRelay(Protocol):
    def deliver(self, conversation_id: str, channel: str, text: str, agent: str) -> None:
        """Send ``text`` from ``agent`` to the customer on their channel."""


ChannelSender = Callable[[str, str], None]  # (conversation id / address, text)


class TrackerRelay:
    """Writes agent messages to the tracker; pushes through a channel sender when one is registered."""

    def __init__(self, rasa: RasaApi, senders: Dict[str, ChannelSender] | None = None) -> None:
        self.rasa = rasa
        self.senders = senders or {}

    def deliver(self, conversation_id: str, channel: str, text: str, agent: str) -> None:
        self.rasa.append(
            conversation_id, {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {"agent": agent}}
        )
        sender = self.senders.get(channel)
        if sender is not None:
            sender(conversation_id, text)
