"""Pairwise judging: the teacher says whether the candidate adapter's answer or the champion's
answer better follows each instruction, and the wins become a win rate with a bootstrap CI.

LLM judges prefer whichever answer they see first (or second), whatever it says. MT-Bench
(Zheng et al. 2023, "Judging LLM-as-a-Judge", section 3.4) cancels this by asking in both
orders and declaring a win only when the verdict survives the swap; an inconsistent pair is a
tie. `pair_outcome` applies that rule, so a judge that always answers "A" scores exactly 0.5.

Everything here is pure: the model call is the `ask` callable the caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from core.errors import GerminateError
from core.json_text import extract_json
from core.templating import template

Messages = list[dict[str, str]]
Verdict = str  # "A", "B" or "tie"

JUDGE_SCHEMA: dict[str, Any] = {
    "title": "Verdict",
    "type": "object",
    "properties": {"winner": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["winner"],
    "additionalProperties": False,
}

# Candidate's score for each verdict, by the slot the candidate was shown in.
_AS_A = {"A": 1.0, "B": 0.0, "tie": 0.5}
_AS_B = {"A": 0.0, "B": 1.0, "tie": 0.5}


def judge_messages(instruction: str, input: str, answer_a: str, answer_b: str) -> Messages:
    """One user message asking which of two answers better follows `instruction`."""
    text = template("evals/prompts/judge.jinja").render(instruction=instruction.strip(), input=input.strip(),
                              answer_a=answer_a.strip(), answer_b=answer_b.strip())
    return [{"role": "user", "content": text.strip()}]


def _normalise(value: Any) -> Verdict | None:
    if not isinstance(value, str):
        return None
    word = value.strip().strip("\"'*`.[]() ").lower()
    return {"a": "A", "b": "B", "tie": "tie"}.get(word)


def parse_verdict(text: str | None) -> Verdict | None:
    """The verdict "A", "B" or "tie" from a judge reply: JSON {"winner": ...} (also fenced or inside prose)
    or a bare letter ("B", "**A**", "tie."); None when the reply says neither, so an unusable
    reply is counted as unjudged, never guessed."""
    if not text:
        return None
    parsed = extract_json(text)
    if isinstance(parsed, dict):
        return _normalise(parsed.get("winner"))
    return _normalise(parsed if isinstance(parsed, str) else text)


def pair_outcome(verdict_ab: Verdict | None, verdict_ba: Verdict | None) -> float | None:
    """The candidate's score for one item judged in both orders: it is answer A in the first
    order and answer B in the second. 1.0 when it wins both, 0.0 when it loses both, 0.5 for
    anything else (a tie, or a split that only reflects position bias: MT-Bench's rule).
    With one reply unparseable the other decides alone; None when neither parsed."""
    first = _AS_A.get(verdict_ab) if verdict_ab is not None else None
    second = _AS_B.get(verdict_ba) if verdict_ba is not None else None
    if first is None:
        return second
    if second is None:
        return first
    return first if first == second else 0.5


def win_rate(outcomes: Sequence[float | None], n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Mean candidate score over judged items (a tie counts half) with a 95% percentile
    bootstrap CI (Efron & Tibshirani 1993): resample the items with replacement `n_boot` times
    with a seeded numpy RNG, so the same outcomes always give the same interval.

    Returns {"win_rate", "ci_low", "ci_high", "n", "n_unjudged"}; the rate and CI are None
    when no item was judged. A win rate of 0.5 means "no better than the champion".
    """
    if n_boot < 1:
        raise GerminateError(f"n_boot must be at least 1, got {n_boot}")
    judged = np.array([o for o in outcomes if o is not None], dtype=float)
    result: dict[str, Any] = {"win_rate": None, "ci_low": None, "ci_high": None,
                              "n": int(judged.size), "n_unjudged": len(outcomes) - int(judged.size)}
    if judged.size == 0:
        return result
    rng = np.random.default_rng(seed)
    means = judged[rng.integers(0, judged.size, size=(n_boot, judged.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    result.update(win_rate=float(judged.mean()), ci_low=float(low), ci_high=float(high))
    return result


def judge_pairs(
    items: Sequence[Mapping[str, Any]],
    candidate_answers: Sequence[str],
    champion_answers: Sequence[str],
    ask: Callable[[list[Messages]], list[str]],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Judge the candidate against the champion on every item ({"instruction", "input"?, ...},
    e.g. an eval-set row; other keys are ignored).

    Both orders of every item go to `ask` in ONE batch (candidate-first at even positions,
    champion-first at odd), so a batched backend can schedule them together. Returns
    `win_rate(...)` plus "outcomes" (per item, aligned with `items`) and "verdicts" (the
    parsed [first-order, second-order] verdicts per item, for auditing the judge).
    """
    if not len(items) == len(candidate_answers) == len(champion_answers):
        raise GerminateError(
            f"judge_pairs: {len(items)} items but {len(candidate_answers)} candidate and "
            f"{len(champion_answers)} champion answers"
        )
    batch: list[Messages] = []
    for item, cand, champ in zip(items, candidate_answers, champion_answers):
        instruction, input = item["instruction"], item.get("input") or ""
        batch.append(judge_messages(instruction, input, cand, champ))
        batch.append(judge_messages(instruction, input, champ, cand))
    replies = ask(batch) if batch else []
    if len(replies) != len(batch):
        raise GerminateError(f"judge returned {len(replies)} replies for {len(batch)} prompts")
    verdicts = [[parse_verdict(replies[i]), parse_verdict(replies[i + 1])]
                for i in range(0, len(batch), 2)]
    outcomes = [pair_outcome(ab, ba) for ab, ba in verdicts]
    return {**win_rate(outcomes, n_boot=n_boot, seed=seed), "outcomes": outcomes,
            "verdicts": verdicts}
