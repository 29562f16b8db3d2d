"""The designers' entity patterns, built into a real spaCy pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.spacy_pipeline import DEFAULT_PATTERNS, PatternFileError, build_pipeline, load_patterns


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline(load_patterns(DEFAULT_PATTERNS))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("where is order #48213?", [("48213", "order_number")]),
        ("invoice INV-20931 please", [("INV-20931", "invoice_number")]),
        ("it's maria.k@example.com", [("maria.k@example.com", "email")]),
        ("call +44 7700 900123", [("+44 7700 900123", "phone")]),
        ("or (555) 201-4477", [("(555) 201-4477", "phone")]),
        ("or 07700 900123", [("07700 900123", "phone")]),
        ("charged $49.99 twice", [("$49.99", "amount")]),
        ("30 euros on 3rd of march", [("30 euros", "amount"), ("3rd of march", "date")]),
        ("paid last tuesday", [("last tuesday", "date")]),
        ("send it to 9 Harbour Lane, Bristol BS1 4QD", [("9 Harbour Lane, Bristol BS1 4QD", "address")]),
        ("1200 Pine Ave, Seattle WA 98101", [("1200 Pine Ave, Seattle WA 98101", "address")]),
        ("i ordered 2 shirts", []),
    ],
)
def test_patterns_find_structured_values(nlp, text, expected):
    assert [(e.text, e.label_) for e in nlp(text).ents] == expected


def test_a_broken_pattern_file_names_the_entity_at_fault(tmp_path: Path):
    bad = tmp_path / "patterns.yml"
    bad.write_text("order_number:\n  - {TEXT: '12345'}\n")
    with pytest.raises(PatternFileError, match="order_number"):
        load_patterns(bad)


def test_an_invalid_token_condition_is_rejected(tmp_path: Path):
    bad = tmp_path / "patterns.yml"
    bad.write_text("order_number:\n  - [{NOT_A_KEY: 1}]\n")
    with pytest.raises(PatternFileError):
        build_pipeline(load_patterns(bad))
