"""Hangul that is not Korean: kiwipiepy's morpheme language-model score per Hangul syllable.

The 135M chat teacher writes syllables that look Korean and are not words ("절찾오옴",
"탈춘에운전"). kiwipiepy analyses any Hangul: words it does not know come back as proper or
common nouns flagged `oov`, and some nonsense is split into real but implausible morphemes
(저/NP ᆯ/JKO 찾/VV 오/EP ...). Each morpheme carries a language-model log-score, so the
sum over the Hangul morphemes divided by the number of Hangul syllables separates the two
(research2/FINDINGS.md Q1: AUC 0.996; broken text -5.6 to -15, good text -1.9 to -4.7). The
share of syllables inside `oov` tokens is a second, coarser signal.
"""

from __future__ import annotations

import unicodedata

from core.korean import HANGUL, has_hangul, tokenize
from filters.quality.text_kind import looks_structured

# Fewer Hangul syllables than this in a field is too little to judge (a one-word label
# "긍정", a name); the field gets no score.
MIN_SYLLABLES = 5


def hangul_scores(text: str) -> tuple[float, float] | None:
    """(mean kiwipiepy score per Hangul syllable, share of Hangul syllables in unknown words),
    or None when `text` has fewer than MIN_SYLLABLES Hangul syllables."""
    if not has_hangul(text):
        return None
    text = unicodedata.normalize("NFC", text)
    syllables = len(HANGUL.findall(text))
    if syllables < MIN_SYLLABLES:
        return None
    score = unknown = 0.0
    for token in tokenize(text):
        span = text[token.start : token.start + token.len]
        n = len(HANGUL.findall(span))
        if n:
            score += token.score
            if token.oov:
                unknown += n
    return score / syllables, unknown / syllables


def korean_scores(instruction: str, input: str, output: str) -> dict[str, float]:
    """`korean.score.<field>` and `korean.unknown.<field>` for each prose field with enough
    Hangul; code, data and lists are not scored (`filters.quality.text_kind`)."""
    scores: dict[str, float] = {}
    for field, text in (("instruction", instruction), ("input", input), ("output", output)):
        found = None if looks_structured(text) else hangul_scores(text)
        if found is not None:
            scores[f"korean.score.{field}"] = round(found[0], 4)
            scores[f"korean.unknown.{field}"] = round(found[1], 4)
    return scores
