"""Structured entities from the designers' patterns (lexicon/entity_patterns.yml).

The spaCy pipeline loaded by ``SpacyNLP`` carries an entity ruler built from
those patterns; this component turns its matches into Rasa entities. It is
Rasa's ``SpacyEntityExtractor`` minus two things we do not want: it reuses the
document ``SpacyNLP`` already made instead of parsing every message twice, and
``rasa test nlu`` scores it (Rasa skips its own spaCy extractor in evaluations,
which would hide the entity F1 designers need to see).
"""

from __future__ import annotations

from typing import Any, Dict, List, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
    model_from="SpacyNLP",
)
class PatternEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Turns the entity ruler's spans into entities whose value is the text as typed."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # None: every label in the pattern file.
        return {"dimensions": None}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PatternEntityExtractor:
        return cls(config)

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None or doc.text != text:
                doc = model.model(text)
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: span.label_,
                    ENTITY_ATTRIBUTE_VALUE: text[span.start_char : span.end_char],
                    ENTITY_ATTRIBUTE_START: span.start_char,
                    ENTITY_ATTRIBUTE_END: span.end_char,
                    "confidence": None,
                }
                for span in doc.ents
            ]
            wanted = self.filter_irrelevant_entities(self.add_extractor_name(found), self._config["dimensions"])
            message.set(ENTITIES, message.get(ENTITIES, []) + wanted, add_to_output=True)
        return messages
