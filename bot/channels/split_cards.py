"""A card number typed over two messages is removed from both.

Each message is cleaned of whole card numbers before anything stores it (``inbound.py``); half a card is not
one. When a message starts with digits that, after the digits the customer's previous message ended with, make
a card number, the new message's half is replaced before Rasa sees it, and the previous half is replaced where
it was stored: in that message's events and those after it in the tracker store (the text, the parse data, any
slot it filled), and the cached tracker is dropped so the turn reads the cleaned events back. Production's event
stream has already carried the first half on; a half alone is not a card number.

One indexed read per message that starts with digits; nothing for any other message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Tuple

from rasa.core.tracker_store import SQLTrackerStore
from sanic import Sanic
from sqlalchemy import text

from bot.stores.plain_sql import events_table
from bot.stores.sql_tracker_store import TriageSQLTrackerStore, configured_store
from privacy.redaction import CARD_PLACEHOLDER, card_split_across

logger = logging.getLogger(__name__)

_STARTS_WITH_DIGITS = re.compile(r"^[^A-Za-z\d]*\d")


def sql_tracker_store() -> SQLTrackerStore | None:
    try:
        store = configured_store(Sanic.get_app().ctx.agent.tracker_store)
    except Exception:  # no Rasa app in this process (a unit test)
        return None
    return store if isinstance(store, SQLTrackerStore) else None


def _previous_customer_message(store: SQLTrackerStore, sender: str) -> Tuple[int, str] | None:
    sql = (f"SELECT id, data FROM {events_table(store)} WHERE sender_id = :sender AND type_name = 'user' "
           "ORDER BY id DESC LIMIT 1")  # fmt: skip
    with store.engine.connect() as connection:
        row = connection.execute(text(sql), {"sender": sender}).first()
    if row is None:
        return None
    try:
        return int(row[0]), str(json.loads(row[1]).get("text") or "")
    except (ValueError, TypeError, AttributeError):
        return None


def _scrub(store: SQLTrackerStore, sender: str, from_event_id: int, digits: str) -> None:
    stored = json.dumps(digits)[1:-1]  # as Rasa's JSON holds it (no-break spaces escaped)
    sql = (f"UPDATE {events_table(store)} SET data = REPLACE(data, :stored, :placeholder) "
           "WHERE sender_id = :sender AND id >= :first")  # fmt: skip
    with store.engine.begin() as connection:
        connection.execute(text(sql), {"stored": stored, "placeholder": CARD_PLACEHOLDER, "sender": sender,
                                       "first": from_event_id})  # fmt: skip
    if isinstance(store, TriageSQLTrackerStore):
        store.forget_cached(sender)


async def remove_split_card(sender: str, message_text: str) -> str:
    """``message_text`` without the second half of a card begun in the previous message (which is scrubbed
    from the store); unchanged when there is none."""
    if not _STARTS_WITH_DIGITS.match(message_text):
        return message_text
    store = sql_tracker_store()
    if store is None:
        return message_text
    loop = asyncio.get_running_loop()
    try:
        previous = await loop.run_in_executor(None, _previous_customer_message, store, sender)
        split = card_split_across(previous[1], message_text) if previous else None
        if split is None or previous is None:
            return message_text
        await loop.run_in_executor(None, _scrub, store, sender, previous[0], split[0])
    except Exception:  # the store is away: the turn itself will meet it and apologise
        logger.warning("could not check the previous message of a conversation for half a card number")
        return message_text
    logger.info("a card number split over two messages was removed from both")
    head = message_text.index(split[1])
    return message_text[:head] + CARD_PLACEHOLDER + message_text[head + len(split[1]) :]
