"""An optional LLM rating of each pair, AlpaGasus-style (Chen et al. 2023, "AlpaGasus: Training a
Better Alpaca with Fewer Data"): the rater scores the response's accuracy for the instruction
and input on a fixed scale and explains itself in one line.

AlpaGasus asked ChatGPT for 0-5 and kept rows at 4.5 or more (9k of Alpaca's 52k); here the
scale is 1-5 and the bar is configurable. The prompt is AlpaGasus's, with the reply asked for as
JSON (score + rationale) so structured outputs can enforce it. Pure: the model call is the
`ask` callable the flow passes in (as `evals.judge` does), so filters never import generators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from core.json_text import extract_json
from core.templating import template

Messages = list[dict[str, str]]

RATING_SCHEMA: dict[str, Any] = {
    "title": "Rating",
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                   "rationale": {"type": "string", "maxLength": 300}},
    "required": ["score", "rationale"],
    "additionalProperties": False,
}
_NUMBER = re.compile(r"(?<![\d.])([1-5](?:\.\d+)?)(?![\d.])")


def rating_messages(instruction: str, input: str, output: str) -> Messages:
    """One user message asking for a 1-5 rating of `output` as an answer to the task."""
    text = template("filters/quality/prompts/rating.jinja").render(
        instruction=instruction.strip(), input=input.strip(), output=output.strip())
    return [{"role": "user", "content": text.strip()}]


def parse_rating(text: str | None) -> tuple[float, str] | None:
    """(score 1-5, one-line rationale) from a rater's reply: JSON {"score", "rationale"} (also
    fenced or in prose), else AlpaGasus's plain form, a number on the first line and the
    explanation after it. None when no score in range can be read: unrated, never guessed."""
    if not text or not text.strip():
        return None
    parsed = extract_json(text)
    if isinstance(parsed, dict) and "score" in parsed:
        try:
            score = float(parsed["score"])
        except (TypeError, ValueError):
            return None
        rationale = parsed.get("rationale")
        return (score, _one_line(rationale if isinstance(rationale, str) else "")) if 1 <= score <= 5 else None
    first, _, rest = text.strip().partition("\n")
    m = _NUMBER.search(first)
    if m is None:
        return None
    return float(m.group(1)), _one_line(rest or first[m.end():])


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def rate(rows: Sequence[tuple[str, str, str]], ask: Callable[[list[Messages]], list[str]]
         ) -> tuple[list[dict[str, float]], list[str | None]]:
    """`rating.score` per (instruction, input, output) and its rationale; all prompts go to
    `ask` in one batch. An unreadable reply leaves the row unrated (no score: no drop)."""
    replies = ask([rating_messages(*row) for row in rows]) if rows else []
    if len(replies) != len(rows):
        raise ValueError(f"rater returned {len(replies)} replies for {len(rows)} prompts")
    scores: list[dict[str, float]] = []
    rationales: list[str | None] = []
    for reply in replies:
        found = parse_rating(reply)
        scores.append({"rating.score": found[0]} if found else {})
        rationales.append(found[1] if found else None)
    return scores, rationales
