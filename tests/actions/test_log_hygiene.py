import logging

from actions.backends.context import set_turn
from actions.log_hygiene import TurnLogFilter


def render(message: str, *args: object) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    TurnLogFilter().filter(record)
    return record.getMessage()


def test_log_lines_carry_the_turn_and_mask_contact_details():
    turn = set_turn("conversation-9", "message-1")
    line = render("verify %s for %s, card 4111 1111 1111 1111", "maria.keller@example.com", "+1 555 201 4477")
    assert line.startswith(f"[{turn.correlation_id}] ")
    assert "maria.keller" not in line and "m***@example.com" in line
    assert "555 201" not in line and "4111 1111" not in line
