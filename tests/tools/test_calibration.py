"""Calibration scores: ECE, the reliability bands and per-intent precision at the threshold."""

from __future__ import annotations

import pytest

from bot.tools.calibration import Prediction, expected_calibration_error, precision_at_threshold, reliability


def test_a_model_as_sure_as_it_is_right_has_no_calibration_error():
    # 0.8 confident, right 4 times in 5; 1.0 confident and always right.
    predictions = [Prediction("a", "a", 0.8)] * 4 + [Prediction("b", "a", 0.8)] + [Prediction("a", "a", 1.0)] * 5
    assert expected_calibration_error(predictions) == pytest.approx(0.0)


def test_an_over_confident_model_shows_its_gap():
    # 0.9 confident, right half the time: a gap of 0.4 on every prediction.
    predictions = [Prediction("a", "a", 0.9), Prediction("b", "a", 0.9)]
    assert expected_calibration_error(predictions) == pytest.approx(0.4)


def test_bands_count_a_full_confidence_in_the_top_band_and_precision_is_per_predicted_intent():
    predictions = [Prediction("a", "a", 1.0), Prediction("a", "b", 0.5), Prediction("b", "b", 0.45),
                   Prediction("c", "c", 0.2)]  # fmt: skip
    bands = {(b.low, b.high): (b.count, b.accuracy) for b in reliability(predictions)}
    assert bands[(0.95, 1.0)] == (1, 1.0) and bands[(0.4, 0.6)] == (2, 0.5) and bands[(0.0, 0.4)] == (1, 1.0)
    assert precision_at_threshold(predictions, 0.4) == {"b": (0.5, 2), "a": (1.0, 1)}  # "c" is below it
