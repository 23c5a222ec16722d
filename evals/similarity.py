"""Reference overlap: ROUGE-L F1 between a model's answer and the reference answer.

ROUGE-L (Lin 2004) is the longest common subsequence of word tokens, turned into an F1 of
precision LCS/len(prediction) and recall LCS/len(reference). Self-Instruct (Wang et al. 2022)
reports it for held-out tasks; it rewards answers that say what the reference says, in order.

We score with Google's maintained `rouge-score` package but give it our own tokenizer. Its
default tokenizer lowercases and then replaces every character outside [a-z0-9] with a space,
so a Korean answer becomes zero tokens and every Korean pair scores 0.0 whatever it says. The
tokenizer here is `core.text.words` (lowercased Unicode `\\w+` words, NFC-normalised), the
same definition of a word the curation filters use, so Korean words count like English ones.
No stemming: the Porter stemmer is English-only and is off in rouge-score by default.

rouge-score imports nltk, which imports scipy (2-4 s), so the scorer is built on first use:
importing this module, or a CLI command that never scores, does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from core.errors import GerminateError
from core.text import words


class UnicodeWordTokenizer:
    """A rouge-score tokenizer (any object with `tokenize`) over `core.text.words`:
    lowercased `\\w+` words in any script, so Korean text keeps its words."""

    def tokenize(self, text: str) -> list[str]:
        return words(text)


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=UnicodeWordTokenizer())


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 of `prediction` against `reference`, in [0, 1]; 0.0 if either has no words."""
    return float(_scorer().score(reference, prediction)["rougeL"].fmeasure)


def mean_rouge_l(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean ROUGE-L F1 over (prediction, reference) pairs. No pairs is an error rather than
    a 0.0 that would read as a real score (an eval set always has at least one task)."""
    if not pairs:
        raise GerminateError("mean_rouge_l: no (prediction, reference) pairs to score")
    return sum(rouge_l(pred, ref) for pred, ref in pairs) / len(pairs)
