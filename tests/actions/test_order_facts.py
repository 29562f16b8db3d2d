from datetime import date

from actions.backends.in_memory import InMemoryBackend
from actions.order_facts import describe_items, human_date, order_variables, status_response

TODAY = date(2026, 3, 2)


def test_dates_read_naturally():
    assert human_date(date(2026, 3, 2), TODAY) == "today"
    assert human_date(date(2026, 3, 3), TODAY) == "tomorrow"
    assert human_date(date(2026, 3, 10), TODAY) == "Tuesday 10 March"
    assert human_date(None, TODAY) == "soon"


def test_items_and_status_for_a_shipped_order():
    order = InMemoryBackend(today=TODAY).get_order("10023")
    assert describe_items(order) == "Blue hoodie (M) and 2 x White socks 3-pack"
    assert status_response(order, TODAY) == "utter_order_shipped"
    assert order_variables(order, TODAY)["carrier"] == "UPS"


def test_a_late_order_gets_the_delay_response():
    order = InMemoryBackend(today=TODAY).get_order("10042")
    assert status_response(order, TODAY) == "utter_order_delayed"
