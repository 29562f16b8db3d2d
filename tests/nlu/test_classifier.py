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


def test_the_sentence_featurizer_gives_rasa_s_sentence_features_and_no_token_features():
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.sentence_count_vectors import SentenceCountVectorsFeaturizer

    texts = ["where is my order", "i want a refund for order 10023", "cancle my subscription pls", "hi"]

    def featurised(cls, storage_dir):
        tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        data = TrainingData([Message({TEXT: t, "intent": "x"}) for t in texts])
        tokenizer.process_training_data(data)
        config = {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 3, "max_ngram": 5}
        context = ExecutionContext(GraphSchema({}), node_name="count_vectors")
        featurizer = cls(config, LocalModelStorage(storage_dir), Resource(cls.__name__), context)
        featurizer.train(data)
        messages = [Message({TEXT: t}) for t in texts + ["an unseen sentence"]]
        tokenizer.process(messages)
        featurizer.process(messages)
        return messages

    def of_type(message, kind):
        return [f.features.toarray().tolist() for f in message.features if f.type == kind and f.attribute == TEXT]

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as rasa_dir, tempfile.TemporaryDirectory() as ours_dir:
        rasa_messages = featurised(CountVectorsFeaturizer, Path(rasa_dir))
        our_messages = featurised(SentenceCountVectorsFeaturizer, Path(ours_dir))
    for rasa, ours in zip(rasa_messages, our_messages, strict=True):
        assert of_type(ours, FEATURE_TYPE_SENTENCE) == of_type(rasa, FEATURE_TYPE_SENTENCE) != []
        assert of_type(ours, FEATURE_TYPE_SEQUENCE) == [] and of_type(rasa, FEATURE_TYPE_SEQUENCE) != []


def test_the_sentence_row_is_what_scikit_learn_s_transform_counts():
    from bot.nlu.sentence_count_vectors import SentenceCountVectorsFeaturizer

    train = [e.text for e in load_examples(sorted((ROOT / "data" / "nlu").glob("*.yml")))]
    heldout = [e.text for e in load_examples(sorted((ROOT / "tests" / "nlu" / "heldout").glob("*.yml")))]
    texts = heldout[:150] + ["", "zzzz qqqq", "order order order order", "ÄÖÜ café naïve"]
    vectorizers = [
        CountVectorizer(analyzer="word", token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2)),
        CountVectorizer(analyzer="char_wb", ngram_range=(3, 5)),
        CountVectorizer(analyzer="word", binary=True),
    ]
    featurizer = SentenceCountVectorsFeaturizer.__new__(SentenceCountVectorsFeaturizer)
    for vectorizer in vectorizers:
        vectorizer.fit(train)
        for text in texts:
            expected = vectorizer.transform([text])
            expected.sort_indices()
            expected = expected.tocoo()
            ours = featurizer._sentence_row(vectorizer, text)
            assert ours.shape == expected.shape and ours.dtype == expected.dtype
            assert ours.col.tolist() == expected.col.tolist() and ours.row.tolist() == expected.row.tolist()
            assert ours.data.tolist() == expected.data.tolist()
    assert any(featurizer._sentence_row(v, "order order order order").data.max() == 4 for v in vectorizers[:1])


def test_the_classifier_reads_the_same_row_without_building_a_matrix():
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import coo_matrix

    from bot.nlu.tfidf_intent_classifier import TfidfIntentClassifier, sentence_entries

    def sparse(columns, values, width):
        return coo_matrix((values, ([0] * len(columns), columns)), shape=(1, width))

    message = Message({TEXT: "x"})
    message.add_features(Features(sparse([4, 1], [2, 1], 6), FEATURE_TYPE_SENTENCE, TEXT, "words"))
    message.add_features(Features(np.array([[0.0, 1.5, 0.0]]), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    message.add_features(Features(sparse([0, 2, 2], [1, 1, 3], 5), FEATURE_TYPE_SENTENCE, TEXT, "chars"))
    message.add_features(Features(sparse([0], [9], 6), FEATURE_TYPE_SEQUENCE, TEXT, "words"))
    expected = TfidfIntentClassifier._row(message)
    expected.sum_duplicates()

    def entries(columns, values):
        return sorted(zip(columns.tolist(), values.tolist(), strict=True))

    ours = entries(*sentence_entries(message))
    assert ours == entries(expected.indices, expected.data)
    assert ours == [(1, 1), (4, 2), (6, 1), (8, 4), (12, 1.5)]
    empty = sentence_entries(Message({TEXT: "y"}))
    assert empty[0].size == 0 and empty[1].size == 0
