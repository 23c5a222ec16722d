import numpy as np
import pytest

from evals.bootstrap import Resampler
from evals.length_control import lc_win_rate


def test_without_a_length_difference_it_is_close_to_the_raw_win_rate():
    values = [1.0] * 30 + [0.0] * 10 + [0.5] * 10  # raw win rate 0.7
    lc = lc_win_rate(values, [0.0] * 50)
    assert lc["lc_win_rate"] == pytest.approx(0.7, abs=0.01)  # the ridge shrinks a little


def test_wins_explained_by_length_are_discounted():
    # A judge that prefers longer answers and nothing else: P(win) = sigmoid(2 tanh(d / 40)),
    # even at equal length. The candidate's answers are 30 tokens longer on average, so it
    # wins ~2/3 of the pairs raw; length-controlled it is even.
    rng = np.random.default_rng(0)
    diffs = rng.normal(30, 40, 300)
    values = [float(rng.random() < p) for p in 1 / (1 + np.exp(-2 * np.tanh(diffs / 40)))]
    lc = lc_win_rate(values, diffs, Resampler.create(300, 500))
    assert np.mean(values) > 0.65
    assert abs(lc["lc_win_rate"] - 0.5) < 0.06
    assert lc["lc_ci_low"] < 0.5 < lc["lc_ci_high"]


def test_a_candidate_better_at_every_length_stays_better():
    rng = np.random.default_rng(1)
    diffs = rng.normal(0, 30, 100)
    values = [1.0 if rng.random() < 0.85 else 0.0 for _ in diffs]  # unrelated to length
    lc = lc_win_rate(values, diffs, Resampler.create(100, 300))
    assert lc["lc_win_rate"] == pytest.approx(np.mean(values), abs=0.05)
    assert lc["lc_ci_low"] > 0.7


def test_unanimous_wins_give_a_finite_value_and_split_items_are_left_out():
    lc = lc_win_rate([1.0, 1.0, None, 1.0], [5, -3, 100, 0])
    assert 0.8 < lc["lc_win_rate"] < 1.0
    assert lc_win_rate([None, None], [1, 2]) == {"lc_win_rate": None, "lc_ci_low": None, "lc_ci_high": None}
