"""Per-item metric values of one model on the held-out set, and the one table of metrics.

Each metric is kept per item as (num, den), its value is sum(num) / sum(den) (see
`evals.bootstrap`), so a gate can resample items and a report can show an interval for every
number. `METRICS` is the one place that names a metric, says which way is better and how it
is labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.bootstrap import Resampler, ratio, score_ci
from evals.constraints import item_results
from evals.similarity import rouge_l


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    # True: higher is better; False: lower is better; None: informational, never gated.
    higher_is_better: bool | None


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("rouge_l", "ROUGE-L", True),
    Metric("constraint_accuracy", "prompt-level strict accuracy", True),
    Metric("constraint_accuracy_loose", "prompt-level loose accuracy", True),
    Metric("instruction_accuracy", "instruction-level strict accuracy", True),
    Metric("instruction_accuracy_loose", "instruction-level loose accuracy", True),
    Metric("eos_rate", "EOS rate", True),
    Metric("heldout_loss", "held-out loss", False),
    Metric("mean_answer_tokens", "answer tokens", None),
]}
# Metrics that need the eval set's constraints to have a value.
CONSTRAINT_METRICS = ("constraint_accuracy", "constraint_accuracy_loose", "instruction_accuracy",
                      "instruction_accuracy_loose")
JUDGE_METRIC = "judge_win_rate"

PerItem = dict[str, tuple[list[float], list[float]]]


def label(name: str) -> str:
    """How a metric is named to a person."""
    return "judge win rate" if name == JUDGE_METRIC else METRICS[name].label if name in METRICS else name


def per_item(items: Sequence[Mapping[str, Any]], answers: Sequence[Any],
             losses: Sequence[tuple[float, int]]) -> PerItem:
    """(num, den) per item for every metric in METRICS.

    `items` are eval rows ({"reference", "constraints", ...}), `answers` the model's answers
    (`text`, `finish_reason`, `tokens`), `losses` the (summed token NLL, token count) of each
    reference under the model (`evals.answers.heldout_losses`).
    """
    values: PerItem = {name: ([], []) for name in METRICS}

    def add(name: str, num: float, den: float) -> None:
        values[name][0].append(float(num))
        values[name][1].append(float(den))

    for item, answer, (nll, tokens) in zip(items, answers, losses, strict=True):
        constraints = item.get("constraints") or []
        strict = item_results(constraints, answer.text)
        loose = item_results(constraints, answer.text, loose=True)
        has = 1.0 if constraints else 0.0
        add("rouge_l", rouge_l(answer.text, item["reference"]), 1)
        add("constraint_accuracy", has and all(strict), has)
        add("constraint_accuracy_loose", has and all(loose), has)
        add("instruction_accuracy", sum(strict), len(strict))
        add("instruction_accuracy_loose", sum(loose), len(loose))
        add("eos_rate", answer.finish_reason == "stop", 1)
        # Token-weighted, as a language-model loss is: a long reference weighs more.
        add("heldout_loss", nll, tokens)
        add("mean_answer_tokens", answer.tokens, 1)
    return values


def summarize(values: PerItem, draws: Resampler) -> tuple[dict[str, float | None], dict[str, list]]:
    """(scores, intervals): each metric's value (rounded for display, None when it does not
    apply) and its bootstrap interval [low, high] from `draws`."""
    scores: dict[str, float | None] = {}
    intervals: dict[str, list] = {}
    for name, (num, den) in values.items():
        ci = score_ci(num, den, draws)
        scores[name] = None if ci["value"] is None else round(ci["value"], 4)
        intervals[name] = [_round(ci["ci_low"]), _round(ci["ci_high"])]
    return scores, intervals


def value(values: PerItem, name: str) -> float | None:
    """The metric's value from its per-item values."""
    return ratio(*values[name])


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
