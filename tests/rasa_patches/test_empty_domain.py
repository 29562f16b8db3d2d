"""``empty_domain``: Rasa's ``Domain.is_empty`` answers as before without building an empty domain each time."""

from __future__ import annotations

from typing import Any, List

from rasa.shared.core.domain import Domain

from bot.launcher import ROOT
from bot.rasa_guard import original

TARGET = "rasa.shared.core.domain:Domain.is_empty"


def test_the_answers_are_rasas():
    samples = [Domain.empty(), Domain.load(str(ROOT / "domain.yml")), Domain.from_dict({"intents": ["greet"]}),
               Domain.from_dict({"responses": {"utter_x": [{"text": "x"}]}})]  # fmt: skip
    assert [domain.is_empty() for domain in samples] == [original(TARGET)(domain) for domain in samples]
    assert [domain.is_empty() for domain in samples] == [True, False, False, False]


def test_no_empty_domain_is_built_to_compare_with(monkeypatch):
    loaded = Domain.load(str(ROOT / "domain.yml"))
    loaded.is_empty()  # built once, if ever
    built: List[int] = []
    empty = Domain.empty

    def counted(*args: Any, **kwargs: Any) -> Domain:
        built.append(1)
        return empty(*args, **kwargs)

    monkeypatch.setattr(Domain, "empty", classmethod(lambda cls: counted()))
    for _ in range(10):
        assert not loaded.is_empty()
    assert built == []
