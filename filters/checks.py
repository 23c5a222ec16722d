"""Per-example checks: each looks at one candidate and names why it should go, or says None.

A check is `def name(c: Candidate, cfg: CurateConfig) -> str | None`; the reason it returns
is a snake_case string that ends up in the ledger. `CHECKS` is the one ordered list of them.
Set-level steps (duplicates, eval overlap) live in `filters.curate`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from rapidfuzz import fuzz

from core.config import CurateConfig
from core.language import detect_language
from core.records import Candidate
from core.text import fold, words
from filters.keywords import mentions_keyword
from filters.similarity import rouge_l

Check = Callable[[Candidate, CurateConfig], str | None]


def drops(*reasons: str) -> Callable[[Check], Check]:
    """Declare the reasons a check can return, so the list of every reason is derived from the
    checks themselves (`CHECK_REASONS`) rather than written out a second time."""

    def mark(check: Check) -> Check:
        check.reasons = reasons  # type: ignore[attr-defined]
        return check

    return mark

# An output this close to its input, in both views (token ROUGE-L and characters), is a copy.
COPY_THRESHOLD = 0.9
# Repetition is only judged on outputs long enough to have a meaningful 3-gram count.
REPETITION_MIN_WORDS = 8
REPETITION_NGRAM = 3
# One character 20+ times in a row ("!!!!…", "ㅋㅋㅋ…", "aaaa…") is a decoding loop. Whitespace
# (code indentation) and rule/separator characters (markdown tables, "-----") are layout.
_CHAR_RUN = re.compile(r"([^\s\-=_*#~.])\1{19,}")

_APOS = "['’]"
# Refusal boilerplate that only a refusing assistant writes: matched anywhere in the output.
_REFUSAL_ANYWHERE = [
    r"\bas an ai(?: language)? model\b",
    rf"\bi(?: am|{_APOS}m) (?:just )?an ai(?: language model| assistant)?(?:,| and) i\b",
    r"ai ?(?:언어 ?)?모델로서",
    r"인공 ?지능(?:으로서| 언어 ?모델로서)",
]
# Phrases a legitimate output can contain ("I am unable to attend the meeting" in an email,
# "죄송하지만 참석할 수 없습니다" in a letter), so they count only when the output opens with them.
_REFUSAL_AT_START = [
    rf"i(?:{_APOS}?m| am) sorry,? but i (?:can{_APOS}?t|cannot|can not|am unable|won{_APOS}?t)\b",
    rf"i (?:cannot|can{_APOS}?t) (?:assist|help|comply|fulfill|provide|complete)\b",
    rf"i(?: am|{_APOS}m) (?:unable|not able) to\b",
    r"(?:도와|답변해|답변을) ?드릴 수 없습니다",
    r"죄송(?:하지만|합니다)[.,]?.{0,60}?수 없습니다",
]
_REFUSAL = re.compile(
    "|".join(_REFUSAL_ANYWHERE + [rf"^\W*(?:{p})" for p in _REFUSAL_AT_START]),
    re.IGNORECASE | re.DOTALL,
)


@drops("unparseable")
def unparseable(c: Candidate, cfg: CurateConfig) -> str | None:
    """The teacher's reply could not be parsed; `c.raw` keeps the text for inspection."""
    return "unparseable" if c.parse_error else None


@drops("truncated")
def truncated(c: Candidate, cfg: CurateConfig) -> str | None:
    """Generation hit max_tokens, so the output is cut off mid-answer."""
    return "truncated" if c.finish_reason == "length" else None


@drops("empty_output")
def empty_output(c: Candidate, cfg: CurateConfig) -> str | None:
    """A task with no answer teaches nothing."""
    return "empty_output" if not c.output.strip() else None


@drops("instruction_too_short", "instruction_too_long")
def instruction_length(c: Candidate, cfg: CurateConfig) -> str | None:
    """Word count outside cfg.instruction_length (Self-Instruct keeps 4..150 words).

    Korean counts space-separated words (어절), not syllables.
    """
    n = len(words(c.instruction))
    if n < cfg.instruction_length.min_words:
        return "instruction_too_short"
    if n > cfg.instruction_length.max_words:
        return "instruction_too_long"
    return None


@drops("output_too_short", "output_too_long")
def output_length(c: Candidate, cfg: CurateConfig) -> str | None:
    """Word count outside cfg.output_length; a blank output is `empty_output`'s business."""
    if not c.output.strip():
        return None
    n = len(words(c.output))
    if n < cfg.output_length.min_words:
        return "output_too_short"
    if n > cfg.output_length.max_words:
        return "output_too_long"
    return None


@drops("blacklisted_keyword")
def blacklisted_keyword(c: Candidate, cfg: CurateConfig) -> str | None:
    """The instruction names something a text-only model cannot do (image, file, 파일, ...).

    Self-Instruct's filter: English keywords as whole words or phrases, case-insensitively;
    Korean ones as morphemes, particles attached (`filters.keywords`).
    """
    return "blacklisted_keyword" if mentions_keyword(c.instruction, tuple(cfg.blacklist)) else None


@drops("starts_with_punctuation")
def starts_with_punctuation(c: Candidate, cfg: CurateConfig) -> str | None:
    """The instruction opens with punctuation or a symbol (usually a leftover list marker).

    Letters and digits of any script pass: we deliberately do not copy Self-Instruct's
    "first character must be ASCII" rule, which would drop every Korean instruction. So does
    an opening quotation mark: "'식은 죽 먹기'의 뜻을 알려 주세요" quotes what it asks about.
    """
    text = c.instruction.lstrip()
    if text and unicodedata.category(text[0])[0] in "PS" and not _opens_quote(text[0]):
        return "starts_with_punctuation"
    return None


# A list marker inside one line, after the end of a sentence or clause: "kilometers. 2. Extract",
# "spam.2. Solve", "Tell, 2. Learn". A person's numbered list goes on lines of its own, and
# "Python 3. Write", "from 1. to 5." or "3.5" are no markers.
_INLINE_MARKER = re.compile(r"[.?!,;][ \t]*([1-9][0-9]?)\.[ \t]+(?=\S)")


@drops("several_tasks")
def several_tasks(c: Candidate, cfg: CurateConfig) -> str | None:
    """The instruction is numbered tasks run together on one line ("Convert the distance from
    miles to kilometers. 2. Extract three to five keywords ... 3. ..."): the teacher wrote its
    list into one task string. Any such marker from 2 on decides. Read on a real default night
    (2026-12-06): the one row every other check kept was such a list over a seed's label."""
    return "several_tasks" if any(int(m.group(1)) >= 2 for m in _INLINE_MARKER.finditer(c.instruction)) else None


def _opens_quote(ch: str) -> bool:
    return ch in "'\"`「『«" or unicodedata.category(ch) == "Pi"


@drops("wrong_language")
def wrong_language(c: Candidate, cfg: CurateConfig) -> str | None:
    """The instruction or output is written in a script outside cfg.languages.

    Text without letters (numbers, symbols) has no language and passes. The input is not
    checked: translation tasks legitimately carry foreign-language input.
    """
    for text in (c.instruction, c.output):
        lang = detect_language(text)
        if lang is not None and lang not in cfg.languages:
            return "wrong_language"
    return None


@drops("output_copies_input")
def output_copies_input(c: Candidate, cfg: CurateConfig) -> str | None:
    """The output repeats the input instead of answering: equal, or close in both views.

    The token view alone (ROUGE-L >= 0.9) sees through format and endings, so it called
    rewrites that keep their input's words copies: JSON -> YAML, a list -> bullets, 평서문 ->
    의문문 (4 of 116 human-written dev rows with an input, against 1 garbage row it alone
    caught). A copy is also the same characters (rapidfuzz ratio >= 0.9 on the casefolded,
    space-collapsed text); a rewrite is not.
    """
    if not c.input.strip():
        return None
    # Not `normalize`'s equality: for Hangul that key is the content morphemes, so a list and
    # its bullets, or a statement and its question, are "equal" in it.
    if rouge_l(c.output, c.input) >= COPY_THRESHOLD and \
            fuzz.ratio(fold(c.output), fold(c.input)) >= COPY_THRESHOLD * 100:
        return "output_copies_input"
    return None


@drops("refusal")
def refusal(c: Candidate, cfg: CurateConfig) -> str | None:
    """The teacher declined ("As an AI language model...", "죄송하지만 ... 수 없습니다")."""
    return "refusal" if _REFUSAL.search(c.output.strip()) else None


@drops("degenerate_repetition")
def degenerate_repetition(c: Candidate, cfg: CurateConfig) -> str | None:
    """The output loops: too many repeated word 3-grams, or one character 20+ times.

    The 3-gram fraction is 1 - distinct/total over the output's 3-grams, compared with
    cfg.max_repeated_ngram_fraction; outputs under 8 words are too short to judge.
    """
    tokens = words(c.output)
    if len(tokens) >= REPETITION_MIN_WORDS:
        grams = list(zip(*(tokens[i:] for i in range(REPETITION_NGRAM))))
        if 1 - len(set(grams)) / len(grams) > cfg.max_repeated_ngram_fraction:
            return "degenerate_repetition"
    if _CHAR_RUN.search(c.output):
        return "degenerate_repetition"
    # Loops without spaces ("hahahaha...", "ㅎㅋㅎㅋ..."): a 2-10 character unit 10+ times in a
    # row, unless the unit is only separator characters (markdown rules like "-=-=-=").
    for m in _UNIT_RUN.finditer(c.output):
        if m.group(1).strip(SEPARATORS):
            return "degenerate_repetition"
    return None


SEPARATORS = " \t\n-=_*#~."
_UNIT_RUN = re.compile(r"(\S{2,10}?)\1{9,}")


# The checks, in the order their reasons are listed in the ledger.
CHECKS: tuple[Check, ...] = (
    unparseable,
    truncated,
    empty_output,
    instruction_length,
    output_length,
    blacklisted_keyword,
    starts_with_punctuation,
    several_tasks,
    wrong_language,
    output_copies_input,
    refusal,
    degenerate_repetition,
)


# Every reason a check can give, in CHECKS order.
CHECK_REASONS: tuple[str, ...] = tuple(r for check in CHECKS for r in check.reasons)  # type: ignore[attr-defined]


def check_all(c: Candidate, cfg: CurateConfig) -> list[str]:
    """Every reason that applies to `c`, in CHECKS order (all of them, not just the first).

    An unparseable candidate gets only `unparseable`: its fields are empty, and "too short",
    "empty output" and the like would be noise about text that was never there.
    """
    if c.parse_error:
        return ["unparseable"]
    found = []
    for check in CHECKS:
        reason = check(c, cfg)
        if reason is not None:
            if reason not in check.reasons:  # type: ignore[attr-defined]
                raise ValueError(f"check {check.__name__} returned undeclared reason {reason!r}")
            found.append(reason)
    return found
