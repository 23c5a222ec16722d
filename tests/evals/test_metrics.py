import pytest

from core.config.evaluate import GATE_METRICS
from evals.answers import Answer
from evals.bootstrap import Resampler
from evals.metrics import JUDGE_METRIC, METRICS, label, per_item, summarize, value

ITEMS = [
    {"reference": "The capital of Japan is Tokyo.", "constraints": [{"type": "word_count", "max": 10}]},
    {"reference": "- a\n- b", "constraints": [{"type": "bullet_count", "min": 2, "max": 2}, {"type": "lowercase"}]},
    {"reference": "서울입니다.", "constraints": []},
]
ANSWERS = [
    Answer("Tokyo is the capital of Japan.", "stop", 7),
    Answer("- a\n- b\nThanks!", "length", 96),  # bullets ok; lowercase fails strictly, passes loosely
    Answer("서울입니다.", "stop", 3),
]
LOSSES = [(6.0, 3), (2.0, 2), (1.0, 5)]


def test_every_gate_metric_is_known_to_the_evaluation():
    assert set(GATE_METRICS) == {n for n, m in METRICS.items() if m.higher_is_better is not None} | {JUDGE_METRIC}


def test_per_item_values_reproduce_each_metric():
    values = per_item(ITEMS, ANSWERS, LOSSES)
    assert value(values, "constraint_accuracy") == pytest.approx(1 / 2)  # item 1 fails lowercase
    assert value(values, "constraint_accuracy_loose") == pytest.approx(1.0)
    assert value(values, "instruction_accuracy") == pytest.approx(2 / 3)
    assert value(values, "instruction_accuracy_loose") == pytest.approx(3 / 3)
    assert value(values, "eos_rate") == pytest.approx(2 / 3)
    assert value(values, "heldout_loss") == pytest.approx(9.0 / 10)  # token-weighted
    assert value(values, "mean_answer_tokens") == pytest.approx(106 / 3)
    assert values["rouge_l"][0][2] == 1.0  # Korean scores: same words, ROUGE-L 1
    # The item without constraints carries no weight in the constraint metrics.
    assert values["constraint_accuracy"][1] == [1.0, 1.0, 0.0]


def test_summarize_gives_values_and_intervals():
    scores, intervals = summarize(per_item(ITEMS, ANSWERS, LOSSES), Resampler.create(3, 200))
    assert scores["eos_rate"] == pytest.approx(0.6667)
    low, high = intervals["eos_rate"]
    assert 0.0 <= low <= scores["eos_rate"] <= high <= 1.0


def test_constraint_metrics_are_na_without_constraints():
    items = [{**it, "constraints": []} for it in ITEMS]
    scores, intervals = summarize(per_item(items, ANSWERS, LOSSES), Resampler.create(3, 50))
    assert scores["constraint_accuracy"] is None and intervals["constraint_accuracy"] == [None, None]
    assert scores["rouge_l"] is not None


def test_labels():
    assert label("rouge_l") == "ROUGE-L" and label("judge_win_rate") == "judge win rate"
