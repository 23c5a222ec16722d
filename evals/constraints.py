"""Verifiable instruction following: does an answer obey the rules its instruction stated?

IFEval (Zhou et al. 2023, "Instruction-Following Evaluation for Large Language Models") scores
a model on instructions whose constraints a program can check ("use exactly three bullet
points", "answer in lowercase"), so no judge model is needed. The eval set stores each rule as
a dict next to the task (`SeedTask.constraints`, shapes in `seeds/README.md`) and this module
checks them.

Four accuracies, as IFEval reports them. Prompt-level: the fraction of constrained items whose
answer satisfies EVERY one of its constraints. Instruction-level: the fraction of individual
constraints that pass, so an answer meeting two of three rules earns partial credit. Each in a
strict version (the answer as written) and a loose one (IFEval's `test_instruction_following_loose`):
a constraint passes loosely when any of eight variants of the answer passes it: the answer, the
answer without its first line, without its last line, without both, and each of these four with
every "*" removed (variants that are blank after stripping are skipped). Loose forgives markdown
emphasis and a chatty first line ("Sure! Here is the list:") or a sign-off; it can also hide a
forbidden keyword or a capital letter standing on the first or last line, exactly as in IFEval.
All are None, meaning "not applicable", when nothing has constraints, so an eval set without
them never reports a misleading 0 or 1.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import GerminateError
from core.language import detect_language

Constraint = dict[str, Any]

# An answer that is one fenced block, as chat models like to write JSON: ```json ... ```.
_FENCED = re.compile(r"```(?:json)?[ \t]*\n?(.*?)\n?[ \t]*```", re.S | re.I)
_BULLETS = ("- ", "* ")


def _bound(constraint: Constraint, key: str) -> int | None:
    value = constraint.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise GerminateError(f"constraint {constraint}: '{key}' must be a non-negative integer")
    return value


def _within(count: int, constraint: Constraint) -> bool:
    """`count` within the inclusive [min, max] of a word_count/bullet_count constraint."""
    lo, hi = _bound(constraint, "min"), _bound(constraint, "max")
    if lo is None and hi is None:
        raise GerminateError(f"constraint {constraint}: give 'min', 'max' or both")
    return (lo is None or count >= lo) and (hi is None or count <= hi)


def _keyword(constraint: Constraint) -> str:
    keyword = constraint.get("keyword")
    if not isinstance(keyword, str) or not keyword.strip():
        raise GerminateError(f"constraint {constraint}: 'keyword' must be a non-empty string")
    return _fold(keyword)


def _fold(text: str) -> str:
    # NFC so a Korean keyword matches the same word typed as decomposed jamo; casefold for
    # case-insensitive matching that also handles e.g. German ß.
    return unicodedata.normalize("NFC", text).casefold()


def word_count(constraint: Constraint, answer: str) -> bool:
    """Whitespace-separated words within bounds. A Korean word is a space-separated 어절,
    particles included ("학생입니다" is one word), as the instruction's reader would count."""
    return _within(len(answer.split()), constraint)


def bullet_count(constraint: Constraint, answer: str) -> bool:
    """Lines that start with "- " or "* " (after leading spaces) within bounds."""
    count = sum(line.lstrip().startswith(_BULLETS) for line in answer.splitlines())
    return _within(count, constraint)


def contains(constraint: Constraint, answer: str) -> bool:
    """The keyword occurs in the answer (case-insensitive substring)."""
    return _keyword(constraint) in _fold(answer)


def not_contains(constraint: Constraint, answer: str) -> bool:
    """The keyword does not occur in the answer (case-insensitive substring)."""
    return _keyword(constraint) not in _fold(answer)


def lowercase(constraint: Constraint, answer: str) -> bool:
    """No uppercase letters, as `seeds/README.md` defines the rule. IFEval's checker is
    `value.islower()` plus a langdetect check for English; we drop both extras, so an answer
    with no cased letters at all (Hangul has no case, "42") passes: it contains no capital."""
    return answer == answer.lower()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_json(constraint: Constraint, answer: str) -> bool:
    """The whole answer, stripped, is JSON (RFC 8259: NaN and Infinity are not), or is one
    ```json fenced block holding JSON. IFEval strips the fence the same way; text before or
    after the JSON fails, because the instruction asked for only JSON."""
    text = answer.strip()
    fenced = _FENCED.fullmatch(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return False
    return True


def language(constraint: Constraint, answer: str) -> bool:
    """The answer's dominant script names the requested language (`core.language`)."""
    lang = constraint.get("lang")
    if not isinstance(lang, str) or not lang:
        raise GerminateError(f"constraint {constraint}: 'lang' must be a language code like 'ko'")
    return detect_language(answer) == lang


CHECKS: dict[str, Callable[[Constraint, str], bool]] = {
    "word_count": word_count,
    "bullet_count": bullet_count,
    "contains": contains,
    "not_contains": not_contains,
    "lowercase": lowercase,
    "json": is_json,
    "language": language,
}


def check(constraint: Constraint, answer: str) -> bool:
    """True when `answer` satisfies `constraint`; a malformed or unknown constraint is an error
    (a rule we cannot check must not silently pass or fail)."""
    kind = constraint.get("type")
    if kind not in CHECKS:
        raise GerminateError(
            f"unknown constraint type {kind!r} in {constraint}; known: {', '.join(CHECKS)}"
        )
    return CHECKS[kind](constraint, answer)


def validate(constraints: Sequence[Constraint]) -> None:
    """Raise GerminateError for a malformed or unknown constraint, before any model answers:
    every check reads its arguments before it looks at the answer."""
    for constraint in constraints:
        check(constraint, "")


def loose_variants(answer: str) -> list[str]:
    """IFEval's loose variants of an answer: first and/or last line removed, "*" removed;
    the blank ones dropped (they would pass "not_contains" or "lowercase" vacuously)."""
    lines = answer.split("\n")
    trimmed = [answer, "\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(),
               "\n".join(lines[1:-1]).strip()]
    return [v for v in trimmed + [t.replace("*", "") for t in trimmed] if v.strip()]


def check_loose(constraint: Constraint, answer: str) -> bool:
    """True when any loose variant of `answer` satisfies `constraint` (IFEval's loose rule)."""
    validate([constraint])
    return any(check(constraint, variant) for variant in loose_variants(answer))


def item_results(constraints: Sequence[Constraint], answer: str, loose: bool = False) -> list[bool]:
    """Pass/fail of each of one item's constraints, strict or loose. Every constraint is
    checked, so a malformed one raises even when an earlier one already failed."""
    checker = check_loose if loose else check
    return [checker(c, answer) for c in constraints]


def prompt_level(tasks_with_answers: Sequence[tuple[list[Constraint], str]], loose: bool = False) -> float | None:
    """Prompt-level accuracy: the fraction of constrained items whose answer passes ALL their
    constraints. Items without constraints are left out; None when no item has any."""
    scored = [all(item_results(constraints, answer, loose))
              for constraints, answer in tasks_with_answers if constraints]
    return sum(scored) / len(scored) if scored else None


def instruction_level(tasks_with_answers: Sequence[tuple[list[Constraint], str]],
                      loose: bool = False) -> float | None:
    """Instruction-level accuracy: the fraction of all individual constraints that pass.
    None when there are none."""
    scored = [ok for constraints, answer in tasks_with_answers for ok in item_results(constraints, answer, loose)]
    return sum(scored) / len(scored) if scored else None
