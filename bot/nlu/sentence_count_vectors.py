"""Rasa's count-vector featurizer, without the per-token features nothing in this pipeline reads.

``CountVectorsFeaturizer`` vectorises every message twice for text: once token
by token (sequence features, for DIET and TED) and once as a whole (sentence
features). Our intent classifier reads only the sentence features and our
entities come from patterns, so the token-by-token pass was pure cost: about
half of the featurizers' time, 4 % of the Rasa process's CPU per message.
This subclass computes the sentence features exactly as Rasa does and leaves
the sequence features out for text; every other attribute is featurised as
before. A pipeline that adds DIET or TED should use Rasa's featurizer again.

The sentence row is counted here from the vectorizer's own analyzer and
vocabulary, as scikit-learn's ``transform`` counts it, without that call's
per-call checks and matrix assembly: those were half the featurizers' time at
serving (about 3 % of the Rasa process's CPU at 50 msg/s).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT

Features = List[scipy.sparse.spmatrix | None]
Analyzer = Callable[[str], List[str]]

_analyzers: weakref.WeakKeyDictionary[Any, Analyzer] = weakref.WeakKeyDictionary()


def analyzer_of(vectorizer: Any) -> Analyzer:
    """The vectorizer's analyzer (preprocessing, tokenising, n-grams), built once per vectorizer."""
    analyzer = _analyzers.get(vectorizer)
    if analyzer is None:
        analyzer = _analyzers[vectorizer] = vectorizer.build_analyzer()
    return analyzer


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
            sentence_features.append(self._sentence_row(vectorizer, " ".join(tokens)))
        return [None] * len(all_tokens), sentence_features

    def _sentence_row(self, vectorizer: Any, text: str) -> scipy.sparse.coo_matrix:
        """``vectorizer.transform([text])`` with sorted indices, as a 1-row COO matrix."""
        vocabulary: Dict[str, int] | None = getattr(vectorizer, "vocabulary_", None)
        if vocabulary is None:  # not fitted: scikit-learn's own call raises its own error
            row = vectorizer.transform([text])
            row.sort_indices()
            return row.tocoo()
        counts: Dict[int, int] = {}
        for feature in analyzer_of(vectorizer)(text):
            column = vocabulary.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.array(sorted(counts), dtype=np.int32)
        data = np.array([counts[c] for c in columns.tolist()], dtype=vectorizer.dtype)
        if vectorizer.binary:
            data.fill(1)
        rows = np.zeros(len(columns), dtype=np.int32)
        return scipy.sparse.coo_matrix((data, (rows, columns)), shape=(1, len(vocabulary)))
