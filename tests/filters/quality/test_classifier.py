"""The quality classifier's arithmetic, its weights files and its reason (the model runs in
tests/flows/test_quality_real.py)."""

import json
import math

import pytest

from core.config import QualityConfig
from filters.quality import quality_reasons
from filters.quality.classifier import (EMBEDDED, SCORE_KEY, Probe, check_probe, classifier_scores, load_probe,
                                        probe_path)

PROBE = Probe(model="m", layer=2, mean=(1.0, 0.0), scale=(2.0, 1.0), coef=(1.0, -2.0), intercept=0.5, trained_on="")


def test_probability_is_the_logistic_of_the_standardized_features():
    # z = 0.5 + 1 * (3 - 1) / 2 - 2 * (1 - 0) / 1 = -0.5
    assert PROBE.prob([3.0, 1.0]) == pytest.approx(1 / (1 + math.exp(0.5)))
    assert PROBE.prob([1.0, -1000.0]) == pytest.approx(1.0)
    assert PROBE.prob([1.0, 1000.0]) == 0.0
    with pytest.raises(ValueError, match="expects 2 features, got 3"):
        PROBE.prob([1.0, 2.0, 3.0])


def test_rows_without_features_get_no_score():
    assert classifier_scores([[3.0, 1.0], None], PROBE) == [{SCORE_KEY: round(PROBE.prob([3.0, 1.0]), 6)}, {}]


def test_low_probability_gives_its_reason_and_a_high_one_none():
    q = QualityConfig()
    assert quality_reasons({SCORE_KEY: q.classifier.min_prob / 2}, q) == ["classified_low_quality"]
    assert quality_reasons({SCORE_KEY: (1 + q.classifier.min_prob) / 2}, q) == []
    off = q.model_copy(update={"classifier": q.classifier.model_copy(update={"enabled": False})})
    assert quality_reasons({SCORE_KEY: 0.0}, off) == []


def test_the_shipped_probe_matches_the_default_reference_model():
    q = QualityConfig()
    probe = check_probe(EMBEDDED, q.reference_model)
    assert probe.model == q.reference_model and len(probe.coef) == 640  # gemma-3-270m's hidden size
    assert "eval-set items left out" in probe.trained_on


def _write(tmp_path, **data):
    path = tmp_path / "probe.json"
    path.write_text(json.dumps(data))
    load_probe.cache_clear()
    return path


def test_weights_trained_on_another_model_are_refused(tmp_path):
    path = _write(tmp_path, model="embedded:smollm2-135m-instruct", layer=1, mean=[0.0], scale=[1.0], coef=[1.0],
                  intercept=0.0)
    with pytest.raises(ValueError, match="trained on 'embedded:smollm2-135m-instruct'.*reference_model is 'x'"):
        check_probe(str(path), "x")


def test_missing_and_malformed_weights_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="no classifier weights at"):
        check_probe(str(tmp_path / "nope.json"), "x")
    with pytest.raises(ValueError, match="no classifier ships for reference model 'some/model'"):
        check_probe(EMBEDDED, "some/model")
    with pytest.raises(ValueError, match="malformed classifier weights.*'coef'"):
        check_probe(str(_write(tmp_path, model="x", layer=1, mean=[0.0], scale=[1.0], intercept=0.0)), "x")
    with pytest.raises(ValueError, match="differ in length"):
        check_probe(str(_write(tmp_path, model="x", layer=1, mean=[0.0, 1.0], scale=[1.0], coef=[1.0],
                               intercept=0.0)), "x")
    assert probe_path(EMBEDDED, "embedded:gemma-3-270m").name == "gemma-3-270m.json"
