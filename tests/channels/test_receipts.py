"""Receipts only move forward, in Twilio's and RBM's own order, whatever order they arrive in."""

import threading

from bot.channels.receipts import rank
from bot.channels.store import ChannelStore


def test_the_order_of_statuses():
    order = ["queued", "sending", "sent", "delivered", "read"]
    assert [rank(s) for s in order] == sorted(rank(s) for s in order) and len({rank(s) for s in order}) == 5
    assert rank("DELIVERED") == rank("delivered") == rank("undelivered") and rank("READ") > rank("DELIVERED")
    assert rank("banana") == 0


def test_a_late_receipt_never_moves_a_message_back(tmp_path):
    store = ChannelStore(f"sqlite:///{tmp_path / 'channels.db'}")
    assert store.record_receipt("SM1", "sms", "delivered")
    assert not store.record_receipt("SM1", "sms", "sent")
    assert store.receipt("SM1") == {"status": "delivered", "error_code": None}
    assert store.record_receipt("m-1", "rcs", "READ") and not store.record_receipt("m-1", "rcs", "DELIVERED")
    assert store.receipt("m-1")["status"] == "read"


def test_racing_receipts_end_on_the_furthest(tmp_path):
    """READ and DELIVERED arriving together, again and again: READ must win every time."""
    store = ChannelStore(f"sqlite:///{tmp_path / 'channels.db'}")
    for round_number in range(20):
        message = f"m-{round_number}"
        threads = [
            threading.Thread(target=store.record_receipt, args=(message, "rcs", status))
            for status in ("DELIVERED", "READ", "DELIVERED")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.receipt(message)["status"] == "read", round_number
