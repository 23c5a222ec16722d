import numpy as np
import pytest

from core.errors import GerminateError
from evals.bootstrap import Resampler, paired_delta_ci, ratio, score_ci


def ones(n):
    return np.ones(n)


def test_ratio_is_the_metric_and_none_without_weight():
    assert ratio([1, 2, 3], [1, 1, 1]) == pytest.approx(2.0)
    assert ratio([2, 0, 1], [3, 0, 1]) == pytest.approx(3 / 4)  # instruction level: 3 of 4 constraints
    assert ratio([0, 0], [0, 0]) is None


def test_score_ci_contains_the_value_and_is_seeded():
    values = np.array([0.1, 0.9, 0.4, 0.5, 0.7, 0.2, 0.3, 0.8])
    a = score_ci(values, ones(8), Resampler.create(8, 500, seed=1))
    assert a["value"] == pytest.approx(values.mean())
    assert a["ci_low"] < a["value"] < a["ci_high"]
    assert score_ci(values, ones(8), Resampler.create(8, 500, seed=1)) == a
    assert score_ci(values, ones(8), Resampler.create(8, 500, seed=2)) != a


def test_higher_confidence_gives_a_wider_interval():
    values = np.random.default_rng(0).random(50)
    narrow = score_ci(values, ones(50), Resampler.create(50, 2000, confidence=0.8))
    wide = score_ci(values, ones(50), Resampler.create(50, 2000, confidence=0.99))
    assert wide["ci_low"] < narrow["ci_low"] and wide["ci_high"] > narrow["ci_high"]


def test_pairing_cancels_what_both_models_share():
    # Item difficulty varies a lot; the candidate is better by 0.05 on every item. Unpaired
    # intervals overlap; the paired delta's interval is a point at +0.05.
    difficulty = np.random.default_rng(0).random(40)
    base, cand = difficulty, difficulty + 0.05
    draws = Resampler.create(40, 1000)
    delta = paired_delta_ci((cand, ones(40)), (base, ones(40)), draws)
    assert delta["delta"] == pytest.approx(0.05)
    assert delta["ci_low"] == pytest.approx(0.05) and delta["ci_high"] == pytest.approx(0.05)
    assert score_ci(base, ones(40), draws)["ci_high"] > score_ci(cand, ones(40), draws)["ci_low"]


def test_lower_is_better_flips_the_sign():
    draws = Resampler.create(4, 200)
    loss = paired_delta_ci(([1, 1, 1, 1], ones(4)), ([2, 2, 2, 2], ones(4)), draws, higher_is_better=False)
    assert loss["delta"] == pytest.approx(1.0) and loss["ci_low"] == pytest.approx(1.0)


def test_items_without_weight_do_not_count_and_empty_draws_are_skipped():
    # Only item 0 carries a constraint: draws without it have no value and are skipped.
    draws = Resampler.create(5, 300)
    ci = score_ci([1, 0, 0, 0, 0], [1, 0, 0, 0, 0], draws)
    assert ci == {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0}
    none = paired_delta_ci(([0] * 5, [0] * 5), ([0] * 5, [0] * 5), draws)
    assert none == {"delta": None, "ci_low": None, "ci_high": None}


def test_bad_arguments_are_errors():
    with pytest.raises(GerminateError, match="n_boot"):
        Resampler.create(3, 0)
    with pytest.raises(GerminateError, match="confidence"):
        Resampler.create(3, 10, confidence=1.0)
    with pytest.raises(GerminateError, match="expected 3 per-item values"):
        score_ci([1, 2], [1, 1], Resampler.create(3, 10))
