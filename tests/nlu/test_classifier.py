"""The classifier's serving path (plain arrays) agrees with scikit-learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression

from bot.nlu.tfidf_intent_classifier import LinearScorer
from bot.tools.nlu_scores import load_examples

ROOT = Path(__file__).resolve().parents[2]


def test_the_array_scorer_gives_scikit_learns_probabilities():
    train = load_examples(sorted((ROOT / "data" / "nlu").glob("*.yml")))
    heldout = load_examples(sorted((ROOT / "tests" / "nlu" / "heldout").glob("*.yml")))
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5))
    counts = vectorizer.fit_transform([e.text for e in train])
    tfidf = TfidfTransformer(sublinear_tf=True)
    model = LogisticRegression(C=30, max_iter=3000, random_state=42, class_weight="balanced")
    model.fit(tfidf.fit_transform(counts), [e.intent for e in train])
    assert LinearScorer.applies_to(tfidf, model)
    scorer = LinearScorer(tfidf, model)
    rows = vectorizer.transform([e.text for e in heldout[:120]] + ["", "zzzz qqqq"])
    expected = model.predict_proba(tfidf.transform(rows))
    ours = np.vstack([scorer.probabilities(csr_matrix(rows[i])) for i in range(rows.shape[0])])
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)
