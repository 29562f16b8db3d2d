"""A whitespace tokenizer whose tokens carry a normalised lemma.

Token text and offsets stay exactly as typed (entity spans rely on them);
``token.lemma`` holds the folded, de-elongated, spelling-corrected form that
``CountVectorsFeaturizer`` (``use_lemma: true``, its default) featurises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalize import load_replacements, normalise_token

DEFAULT_SPELLING_FILE = "lexicon/spelling.yml"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class NormalizingTokenizer(WhitespaceTokenizer):
    """Splits on whitespace like Rasa's tokenizer and normalises each lemma."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "spelling_file": DEFAULT_SPELLING_FILE}

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__(config)
        self._replacements = load_replacements(Path(config["spelling_file"]))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NormalizingTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = normalise_token(token.text, self._replacements)
        return tokens
