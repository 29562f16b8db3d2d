"""The replay check of ``make test-stories`` names each conversation that did not go as recorded."""

from __future__ import annotations

from bot.tools.record_stories import differences

RECORDED = [
    {"story": "greeting", "steps": [{"intent": "greet", "user": "hi"}, {"action": "utter_greet"}]},
    {"story": "order", "steps": [{"intent": "order_status", "user": "order?"}, {"action": "order_lookup_form"}]},
]


def test_a_replay_as_recorded_has_no_differences():
    assert differences(RECORDED, [dict(story) for story in RECORDED]) == []


def test_a_changed_step_a_missing_step_and_an_unrecorded_conversation_are_each_named():
    replayed = [
        {"story": "greeting", "steps": [{"intent": "greet", "user": "hi"}, {"action": "utter_goodbye"}]},
        {"story": "order", "steps": [{"intent": "order_status", "user": "order?"}]},
        {"story": "new one", "steps": []},
    ]
    found = differences(RECORDED, replayed)
    assert found == [
        "greeting: step 2 was {'action': 'utter_goodbye'}, recorded {'action': 'utter_greet'}",
        "order: 1 steps, recorded 2",
        "new one: not recorded (run make record-stories)",
    ]


def test_a_recorded_story_no_conversation_plays_any_more_is_named():
    assert differences(RECORDED, [RECORDED[0]]) == [
        "order: recorded, but no conversation plays it any more (run make record-stories)"
    ]
