from actions.backends.errors import AlreadyShipped, BackendError, BackendUnavailable, OrderNotFound
from actions.replies import response_for
from actions.settings import parse_settings, settings


def test_dialogue_file_loads_with_every_task_labelled():
    loaded = settings()
    assert loaded.failures_before_offering_human == 2
    assert loaded.ownership_max_attempts == 3
    assert "order_status" in loaded.intent_labels


def test_missing_keys_keep_defaults():
    parsed = parse_settings({"fallback": {"max_suggestions": 3}})
    assert parsed.max_suggestions == 3
    assert parsed.failures_before_offering_human == 2


def test_every_backend_error_has_words_for_the_customer():
    assert response_for(OrderNotFound("1")) == "utter_unknown_order_number"
    assert response_for(AlreadyShipped("1")) == "utter_already_shipped"
    assert response_for(BackendUnavailable()) == "utter_backend_unavailable"

    class Unexpected(BackendError):
        pass

    assert response_for(Unexpected()) == "utter_backend_unavailable"
