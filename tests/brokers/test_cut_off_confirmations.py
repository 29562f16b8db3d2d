"""Confirmations a lost RabbitMQ connection cut off are counted and summarised; other errors pass through."""

from __future__ import annotations

import asyncio
import logging

from aiormq.exceptions import ConnectionClosed

from bot.brokers.cut_off_confirmations import NEVER_RETRIEVED, CutOffCounter


def test_cut_off_confirmations_are_counted_and_summarised_and_other_errors_pass_through():
    passed_on = []
    counter = CutOffCounter(lambda loop, context: passed_on.append(context), every_s=3600)
    logged: list = []
    counter.summary.logger = logging.getLogger(f"test-summary-{id(logged)}")  # Rasa's logging setup may
    counter.summary.logger.propagate = False  # have disabled the module's logger in this process
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
    counter.summary.logger.addHandler(handler)
    loop = asyncio.new_event_loop()
    try:
        cut = {"message": NEVER_RETRIEVED, "exception": ConnectionClosed(320, "CONNECTION_FORCED")}
        other = {"message": NEVER_RETRIEVED, "exception": ValueError("a bug somewhere")}

        def reset_raised_in(filename: str) -> ConnectionResetError:
            try:
                exec(compile("raise ConnectionResetError(104, 'Connection reset by peer')", filename, "exec"))
            except ConnectionResetError as error:
                return error
            raise AssertionError("not raised")

        reset_in_aiormq = {"message": NEVER_RETRIEVED, "exception": reset_raised_in("/site/aiormq/connection.py")}
        reset_elsewhere = {"message": NEVER_RETRIEVED, "exception": reset_raised_in("/site/other/client.py")}
        for _ in range(500):
            counter(loop, cut)
        counter(loop, reset_in_aiormq)
        counter(loop, other)
        counter(loop, reset_elsewhere)
    finally:
        loop.close()
    # anything that is not a cut-off confirmation still reaches the old handler
    assert passed_on == [other, reset_elsewhere]
    assert counter.total == 501
    assert len(logged) == 1 and logged[0].startswith("1 RabbitMQ confirmations cut off by a lost connection")
    # then quiet until the interval ends, counting what it will report
    assert counter.summary.unreported == {"ConnectionClosed": 499, "ConnectionResetError": 1}
