from datetime import date
from decimal import Decimal

from actions.backends.models import Payment
from actions.charges import amounts_in, dates_in, latest_failed, match_charge

TODAY = date(2026, 3, 20)


def payment(pid: str, amount: str, day: date, status: str = "succeeded") -> Payment:
    return Payment(id=pid, customer_id="C", amount=Decimal(amount), status=status, taken_on=day, description=pid)


PAYMENTS = [
    payment("sub", "4.99", date(2026, 3, 15)),
    payment("first", "75.00", date(2026, 3, 8)),
    payment("second", "75.00", date(2026, 3, 12)),
    payment("old", "75.00", date(2026, 1, 2), status="failed"),
]


def test_amounts_and_dates_are_read_from_free_text():
    assert amounts_in("the $75.00 one, not 4,99") == [Decimal("75.00"), Decimal("4.99")]
    assert dates_in("taken on 12/03", 2026) == [date(2026, 3, 12)]
    assert amounts_in("on 12/03") == []


def test_the_amount_and_date_pick_one_charge():
    assert match_charge(PAYMENTS, "$75.00 on 12/03", TODAY).id == "second"


def test_the_amount_alone_picks_the_newest_such_charge():
    assert match_charge(PAYMENTS, "the 75 charge", TODAY).id == "second"


def test_nothing_matches_without_an_amount_or_date():
    assert match_charge(PAYMENTS, "the one i don't know", TODAY) is None
    assert match_charge(PAYMENTS, "$12.00", TODAY) is None


def test_latest_failed_payment():
    assert latest_failed(PAYMENTS).id == "old"
    assert latest_failed(PAYMENTS[:2]) is None
