"""Degenerate text in any script: Gopher's repetition rules and the letter share of an instruction.

The repetition rules are Gopher's (Rae et al. 2021, "Scaling Language Models", table A1) exactly
as datatrove 0.10.1 implements them in `GopherRepetitionFilter` (duplicate lines/paragraphs,
the top 2-4-gram's character share, duplicated 5-10-gram character share), with one change:
datatrove counts every occurrence of the most common n-gram, even a single one, so every text
under ~25 words fails `top_2_gram` (research2/FINDINGS.md: 10/10 good English instructions).
Here only its repeats count (occurrences after the first), and a 3- or 4-gram only once it
has repeated twice (3 occurrences): a loop's share hardly changes, an n-gram seen once adds
nothing, and one repeated phrase in a short question ("When do I use *its* and when do I use
*it's*?", two human rows of the labeled set's dev half) or answer ("The cat sat on the mat. The
cat was happy.") stays under the limit. A 2-gram still counts from its first repeat: one that
fills a fifth of a text's characters by repeating once is a short loop ("Decision. 2. Decision.
2. 3. 2."). A test checks that with datatrove's
counting these functions give datatrove's verdict on every test text.

Why mirrored and not called: datatrove's filter returns a verdict, not a score to store and
re-threshold, and importing it costs ~0.7 s (it imports every filter); the rules are 40 lines.
Its language-specific filters (GopherQuality, C4, FineWeb) are not used: their stop words,
word-length and punctuation rules misfire on Korean and on short instructions
(research2/FINDINGS.md, Q2).
"""

from __future__ import annotations

import re
from collections import Counter

from core.text import words

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")

# Gopher table A1. Paragraphs and lines: the share of them (and of the characters) that repeat.
DUP_PARA_FRAC, DUP_PARA_CHAR_FRAC, DUP_LINE_FRAC, DUP_LINE_CHAR_FRAC = 0.30, 0.20, 0.30, 0.20
# Character share of the most common n-gram, n = 2, 3, 4, and (ours; datatrove: 1) the
# occurrences it needs before the rule counts: a 3-4-word phrase said twice is ordinary prose.
TOP_NGRAM = ((2, 0.20, 2), (3, 0.18, 3), (4, 0.16, 3))
# Character share of duplicated n-grams, n = 5..10.
DUP_NGRAM = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated items, their characters), every occurrence after the first (datatrove's)."""
    seen: set[str] = set()
    n = chars = 0
    for x in items:
        if x in seen:
            n += 1
            chars += len(x)
        else:
            seen.add(x)
    return n, chars


def _duplicated_ngram_chars(tokens: list[str], n: int) -> int:
    """Characters in n-grams already seen, skipping past each repeat (datatrove's
    `find_all_duplicate`)."""
    seen: set[str] = set()
    chars = i = 0
    while i < len(tokens) - n + 1:
        gram = "".join(tokens[i : i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def repetition_rules(text: str, count_first: bool = False) -> dict[str, float]:
    """Each Gopher rule's measured value divided by its limit (> 1 violates the rule), in
    datatrove's order. `count_first` counts the top n-gram's every occurrence, even a single one,
    as datatrove does (see the module docstring)."""
    if not text.strip():
        return {}
    # As datatrove: paragraphs of the stripped text, lines and lengths of the text as given.
    out: dict[str, float] = {}
    paragraphs = _PARAGRAPHS.split(text.strip())
    n, chars = _duplicates(paragraphs)
    out["dup_para_frac"] = n / len(paragraphs) / DUP_PARA_FRAC
    out["dup_para_char_frac"] = chars / len(text) / DUP_PARA_CHAR_FRAC
    lines = _LINES.split(text)
    n, chars = _duplicates(lines)
    out["dup_line_frac"] = n / len(lines) / DUP_LINE_FRAC
    out["dup_line_char_frac"] = chars / len(text) / DUP_LINE_CHAR_FRAC
    # Word tokens of any script (core.text.words): "L-L-L-N" is four words, as it should be.
    tokens = words(text)
    for k, limit, min_count in TOP_NGRAM:
        grams = [" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]
        value = 0.0
        if grams:
            gram, count = Counter(grams).most_common(1)[0]
            if count_first:
                value = len(gram) * count / len(text)
            elif count >= min_count:
                value = len(gram) * (count - 1) / len(text)
        out[f"top_{k}_gram"] = value / limit
    for k, limit in DUP_NGRAM:
        out[f"duplicated_{k}_n_grams"] = _duplicated_ngram_chars(tokens, k) / len(text) / limit
    return out


def repetition(text: str) -> float | None:
    """The worst Gopher repetition rule as a multiple of its limit (1.0 = Gopher's threshold);
    None for blank text."""
    rules = repetition_rules(text)
    return max(rules.values()) if rules else None


def letter_share(text: str) -> float | None:
    """Share of letters (any script) among the non-space characters; None for blank text."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return None
    return sum(ch.isalpha() for ch in chars) / len(chars)


def degenerate_scores(instruction: str, input: str, output: str) -> dict[str, float]:
    """`degenerate.repetition.<field>` for each non-blank field and
    `degenerate.letters.instruction`."""
    scores: dict[str, float] = {}
    for field, text in (("instruction", instruction), ("input", input), ("output", output)):
        value = repetition(text)
        if value is not None:
            scores[f"degenerate.repetition.{field}"] = round(value, 4)
    letters = letter_share(instruction)
    if letters is not None:
        scores["degenerate.letters.instruction"] = round(letters, 4)
    return scores
