"""Real-traffic scoring: what counts as declined, as small talk, and as a wrong turn into a risky task."""

from __future__ import annotations

from bot.tools.traffic_scores import Judged, score


def test_unsupported_requests_count_as_handled_only_when_declined_asked_about_or_handed_over():
    judged = [
        Judged("gift cards?", "out_of_scope", "out_of_scope", "out_of_scope"),
        Judged("jobs?", "out_of_scope", "greet", "nlu_fallback"),
        Judged("price match?", "out_of_scope", "request_human", "request_human"),
        Judged("payment methods?", "out_of_scope", "payment_issue", "payment_issue"),
    ]
    scores = score(judged)
    assert scores.unsupported == 4 and scores.unsupported_handled == 0.75
    assert [j.text for j in scores.unsupported_taken_into_a_task] == ["payment methods?"]
    assert [j.text for j in scores.risky_wrong_turns] == ["payment methods?"]
    assert scores.asked == 0.25


def test_small_talk_is_scored_on_what_the_bot_acts_on_and_macro_f1_on_the_classifiers_top_intent():
    judged = [
        Judged("hiya", "greet", "greet", "nlu_fallback"),  # asked instead of greeting back: a miss
        Judged("hello there", "greet", "greet", "greet"),
        Judged("ta", "thank_you", "thank_you", "thank_you"),
    ]
    scores = score(judged)
    assert round(scores.small_talk_f1["greet"], 3) == 0.667 and scores.small_talk_f1["thank_you"] == 1.0
    assert scores.intent_macro_f1 == 1.0  # the top intent was right every time


def test_a_test_message_counts_as_seen_in_training_only_when_it_is_the_same_message():
    from bot.tools.nlu_scores import split_by_training

    texts = ["Hola!", "hola amigo", "thanks  a lot.", "where's my order", "wheres my order"]
    seen, unseen = split_by_training(texts, ["hola", "Thanks a lot", "where's my order?"])
    # Case, spaces and punctuation do not make a new message; a different word or spelling does.
    assert seen == [0, 2, 3] and unseen == [1, 4]
