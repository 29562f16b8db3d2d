"""The outbound queue: per customer in order, one sender at a time, a retried producer queues nothing new."""

from bot.channels.outbox import Outbox, OutboxStatus


def test_each_customer_gets_their_messages_in_order_and_one_at_a_time(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'channels.db'}")
    for text in ("first", "second"):
        outbox.enqueue("sms", "+15552014477", {"text": text})
    outbox.enqueue("rcs", "+447700900123", {"text": "other customer"})
    heads = outbox.claim_due(now=9e9, limit=10, lease_seconds=30)
    assert sorted((i.recipient, i.message["text"]) for i in heads) == [
        ("+15552014477", "first"),
        ("+447700900123", "other customer"),
    ]
    assert outbox.claim_due(now=9e9, limit=10, lease_seconds=30) == []  # leased: no second sender
    first = next(i for i in heads if i.recipient == "+15552014477")
    outbox.mark_retry(first, [], "Twilio answered 503", retry_at=9e9 + 5)
    assert [i.recipient for i in outbox.claim_due(now=9e9 + 1, limit=10, lease_seconds=30)] == []  # "second" waits
    again = outbox.claim_due(now=9e9 + 6, limit=10, lease_seconds=30)
    assert [i.message["text"] for i in again] == ["first"] and again[0].attempts == 1
    outbox.mark_sent(again[0], ["SM1"], now=9e9 + 6)
    assert [i.message["text"] for i in outbox.claim_due(now=9e9 + 7, limit=10, lease_seconds=30)] == ["second"]


def test_a_key_queues_a_message_once(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'channels.db'}")
    assert outbox.enqueue("sms", "+15552014477", {"text": "hi"}, key="turn:sms:SM1:0")
    assert not outbox.enqueue("sms", "+15552014477", {"text": "hi"}, key="turn:sms:SM1:0")
    assert len(outbox.for_recipient("+15552014477")) == 1


def test_a_given_up_message_no_longer_holds_the_next(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'channels.db'}")
    outbox.enqueue("sms", "+15552014477", {"text": "to a landline"})
    outbox.enqueue("sms", "+15552014477", {"text": "next"})
    (head,) = outbox.claim_due(now=9e9, limit=10, lease_seconds=30)
    outbox.mark_given_up(head, OutboxStatus.FAILED, [], "30006 landline", now=9e9)
    assert [i.message["text"] for i in outbox.claim_due(now=9e9, limit=10, lease_seconds=30)] == ["next"]
    assert [m["status"] for m in outbox.for_recipient("+15552014477")] == ["failed", "pending"]


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_one_that_took_over(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'channels.db'}")
    outbox.enqueue("sms", "+15552014477", {"text": "hello"})
    (stalled,) = outbox.claim_due(now=9e9, limit=10, lease_seconds=30)
    (taken_over,) = outbox.claim_due(now=9e9 + 31, limit=10, lease_seconds=30)
    assert outbox.mark_sent(taken_over, ["SM2"], now=9e9 + 32)
    assert not outbox.mark_retry(stalled, [], "timed out", retry_at=9e9 + 40)
    assert [(m["status"], m["provider_ids"]) for m in outbox.for_recipient("+15552014477")] == [("sent", ["SM2"])]


def test_each_part_is_kept_as_it_goes_and_a_retry_is_due_only_when_its_time_comes(tmp_path):
    outbox = Outbox(f"sqlite:///{tmp_path / 'channels.db'}")
    outbox.enqueue("sms", "+15552014477", {"text": "long"})
    (item,) = outbox.claim_due(now=9e9, limit=10, lease_seconds=30)
    assert outbox.record_parts(item, ["SM1"], lease_seconds=30)  # then the process dies
    (again,) = outbox.claim_due(now=9e9 + 10**6, limit=10, lease_seconds=30)
    assert again.provider_ids == ["SM1"] and again.parts_sent == 1  # part 1 is not sent again
    outbox.mark_retry(again, ["SM1"], "503", retry_at=9e9 + 10**6 + 50)
    assert outbox.claim_due(now=9e9 + 10**6 + 10, limit=10, lease_seconds=30) == []
