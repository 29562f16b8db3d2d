"""One customer's messages are worked on in the order they arrived, however long each takes."""

import asyncio
import random

from bot.channels.background import Inbox


def test_one_customers_messages_are_handled_in_arrival_order():
    async def scenario() -> dict:
        inbox, handled = Inbox("sms"), {"+1": [], "+2": []}

        def work(sender: str, number: int):
            async def run() -> None:
                await asyncio.sleep(random.random() / 50)
                handled[sender].append(number)

            return run

        for number in range(30):
            inbox.submit("+1", work("+1", number))
            inbox.submit("+2", work("+2", number))
        await inbox.drain()
        return handled

    handled = asyncio.run(scenario())
    assert handled == {"+1": list(range(30)), "+2": list(range(30))}
