from bot.tools.validate import form_questions, is_explained, project_problems

DOMAIN = {
    "intents": ["greet", "order_status"],
    "entities": ["order_number"],
    "responses": {"utter_greet": [], "utter_ask_order_number": [], "utter_lonely": []},
    "forms": {"order_lookup_form": {"required_slots": ["order_number"]}},
}


def test_form_questions_are_known_uses():
    assert form_questions(DOMAIN) == {"utter_ask_order_number"}


def test_cross_checks_find_every_kind_of_problem():
    problems = project_problems(
        DOMAIN,
        code_responses={"utter_missing"},
        pattern_labels={"order_number", "colour"},
        intent_labels={"order_status", "buy_things"},
        used_in_dialogue={"utter_greet"},
    )
    assert any("utter_missing" in p and "not a response" in p for p in problems)
    assert any("utter_lonely" in p and "never used" in p for p in problems)
    assert any("'colour'" in p for p in problems)
    assert any("buy_things" in p for p in problems)
    assert not any("utter_ask_order_number" in p for p in problems)


def test_unused_warning_is_explained_only_for_responses_used_elsewhere():
    warning = "The utterance 'utter_x' is not used in any story or rule."
    assert is_explained(warning, {"utter_x"})
    assert not is_explained(warning, {"utter_y"})
    assert not is_explained("Some other warning", {"utter_x"})
