from datetime import datetime, timezone

from handoff.hours import describe_opening, is_open, next_opening
from handoff.settings import settings

BILLING = settings().queues["billing"]  # Mon-Fri 09:00-17:30, Europe/London


def test_open_inside_hours_in_the_queue_time_zone():
    assert is_open(BILLING, datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc))  # Wednesday 10:00 GMT
    assert not is_open(BILLING, datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc))
    assert not is_open(BILLING, datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc))  # Saturday


def test_next_opening_skips_the_weekend():
    friday_evening = datetime(2026, 3, 6, 19, 0, tzinfo=timezone.utc)
    opening = next_opening(BILLING, friday_evening)
    assert (opening.strftime("%A %H:%M")) == "Monday 09:00"
    assert describe_opening(BILLING, friday_evening) == "on Monday at 09:00 (London time)"


def test_a_round_the_clock_queue_is_always_open():
    general = settings().queues["general"]
    assert is_open(general, datetime(2026, 3, 8, 3, 0, tzinfo=timezone.utc))
