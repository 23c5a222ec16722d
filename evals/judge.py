"""Pairwise judging: a judge model says whether the subject's answer (the candidate adapter's) or
the opponent's (the base model's or the champion's) better follows each instruction.

LLM judges prefer whichever answer they see first (or second), whatever it says. MT-Bench
(Zheng et al. 2023, "Judging LLM-as-a-Judge", section 3.4) cancels this by asking in both
orders and declaring a winner only when the verdict survives the swap. Each item gets one
outcome (`pair_outcome`), from the subject's side:

- win / loss: both orders prefer the subject / the opponent;
- tie: both orders say tie, or one says tie and the other prefers an answer (no preference
  survives the swap, but the two orders do not contradict each other);
- split: the orders contradict each other (A then A, or B then B: position bias);
- undecided: at least one order's reply could not be parsed: one order alone would bring the
  position bias back, so it never decides.

Win, loss and tie are *decided*. The win rate is (wins + ties / 2) / decided, with a bootstrap
interval, and None ("n/a") when nothing was decided: a judge that only ever says "A" gives
every pair a split and no win rate at all, rather than a confident-looking 0.5. Splits and
undecided pairs are counted and reported next to it. `evals.length_control` adds the
length-controlled win rate.

Everything here is pure: the model call is the `ask` callable the caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.errors import GerminateError
from core.json_text import extract_json
from core.templating import template
from evals.bootstrap import Resampler, score_ci
from evals.length_control import lc_win_rate

Messages = list[dict[str, str]]
Verdict = str  # "A", "B" or "tie"

JUDGE_SCHEMA: dict[str, Any] = {
    "title": "Verdict",
    "type": "object",
    "properties": {"winner": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["winner"],
    "additionalProperties": False,
}

WIN, LOSS, TIE, SPLIT, UNDECIDED = "win", "loss", "tie", "split", "undecided"
OUTCOMES = (WIN, LOSS, TIE, SPLIT, UNDECIDED)
# The subject's score for each decided outcome; split and undecided have none.
OUTCOME_VALUE = {WIN: 1.0, TIE: 0.5, LOSS: 0.0}
# What each verdict means for the subject, by the slot it was shown in.
_AS_A = {"A": WIN, "B": LOSS, "tie": TIE}
_AS_B = {"A": LOSS, "B": WIN, "tie": TIE}


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


def pair_outcome(verdict_ab: Verdict | None, verdict_ba: Verdict | None) -> str:
    """The subject's outcome for one item judged in both orders: it is answer A in the first
    order and answer B in the second (rules in the module docstring)."""
    if verdict_ab is None or verdict_ba is None:
        return UNDECIDED
    first, second = _AS_A[verdict_ab], _AS_B[verdict_ba]
    if first == second:
        return first
    return TIE if TIE in (first, second) else SPLIT


def summarize(outcomes: Sequence[str], length_diffs: Sequence[float], draws: Resampler) -> dict[str, Any]:
    """Counts of each outcome, the win rate over decided items with its bootstrap interval,
    and the length-controlled win rate with its interval, from per-item outcomes and token
    count differences (subject - opponent)."""
    values = [OUTCOME_VALUE.get(o) for o in outcomes]
    counts = {name: sum(o == name for o in outcomes) for name in OUTCOMES}
    decided = [1.0 if v is not None else 0.0 for v in values]
    rate = score_ci([v or 0.0 for v in values], decided, draws)
    return {"counts": counts, "n": len(outcomes), "decided": int(sum(decided)),
            "win_rate": rate["value"], "ci_low": rate["ci_low"], "ci_high": rate["ci_high"],
            **lc_win_rate(values, length_diffs, draws)}


def judge_pairs(
    items: Sequence[Mapping[str, Any]],
    subject_answers: Sequence[str],
    opponent_answers: Sequence[str],
    ask: Callable[[list[Messages]], list[str]],
    length_diffs: Sequence[float] | None = None,
    draws: Resampler | None = None,
) -> dict[str, Any]:
    """Judge the subject against the opponent on every item ({"instruction", "input"?, ...},
    e.g. an eval-set row; other keys are ignored).

    Both orders of every item go to `ask` in ONE batch (subject-first at even positions,
    opponent-first at odd), so a batched backend can schedule them together. Returns
    `summarize(...)` plus "outcomes" (per item, aligned with `items`) and "verdicts" (the
    parsed [first-order, second-order] verdicts per item, for auditing the judge).
    `length_diffs` default to 0 (no length control); `draws` to a fresh seeded Resampler.
    """
    if not len(items) == len(subject_answers) == len(opponent_answers):
        raise GerminateError(
            f"judge_pairs: {len(items)} items but {len(subject_answers)} subject and "
            f"{len(opponent_answers)} opponent answers"
        )
    batch: list[Messages] = []
    for item, mine, theirs in zip(items, subject_answers, opponent_answers):
        instruction, input = item["instruction"], item.get("input") or ""
        batch.append(judge_messages(instruction, input, mine, theirs))
        batch.append(judge_messages(instruction, input, theirs, mine))
    replies = ask(batch) if batch else []
    if len(replies) != len(batch):
        raise GerminateError(f"judge returned {len(replies)} replies for {len(batch)} prompts")
    verdicts = [[parse_verdict(replies[i]), parse_verdict(replies[i + 1])]
                for i in range(0, len(batch), 2)]
    outcomes = [pair_outcome(ab, ba) for ab, ba in verdicts]
    diffs = list(length_diffs) if length_diffs is not None else [0.0] * len(items)
    return {**summarize(outcomes, diffs, draws or Resampler.create(len(items))),
            "outcomes": outcomes, "verdicts": verdicts}
