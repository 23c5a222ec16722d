"""Decontamination: drop candidates that overlap the held-out eval set.

Training on (near) copies of eval items would inflate the scores we later report. Two tests,
because each misses what the other catches:
- a shared n-gram of matching tokens (n = cfg.decontamination.ngram, 8 by default; words,
  or for Hangul content morphemes, `core.text.match_tokens`) between the candidate's
  instruction+input, or its output, and any eval instruction+input+output catches copied
  passages, however they are wrapped or spaced; the output counts too, because a teacher that
  has seen an eval item can reproduce its reference answer under a reworded instruction;
- token ROUGE-L >= the near-duplicate threshold with an eval instruction (the same score as
  near-duplicates, `filters.similarity`) catches short paraphrases that have fewer than n
  tokens and so no n-gram at all, and Korean rewrites that only change spacing, particles
  or endings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.config import CurateConfig
from core.records import Candidate, SeedTask
from core.text import match_tokens
from filters.similarity import TokenEncoder, best_match

REASON = "eval_overlap"


def ngrams(tokens: Sequence[str], n: int) -> Iterable[tuple[str, ...]]:
    """Every run of n consecutive tokens, in order (none when there are fewer than n)."""
    return zip(*(tokens[i:] for i in range(n)))


class EvalIndex:
    """The eval set's word n-grams and instructions, ready to test candidates against."""

    def __init__(self, tasks: Sequence[SeedTask], ngram: int, threshold: float) -> None:
        self.n = ngram
        self.threshold = threshold
        # n-gram -> id of the first eval task containing it (first wins: deterministic).
        self.grams: dict[tuple[str, ...], str] = {}
        for task in tasks:
            for inst in task.instances:
                text = "\n".join((task.instruction, inst.input, inst.output))
                for gram in ngrams(match_tokens(text), ngram):
                    self.grams.setdefault(gram, task.id)
        self.ids = [task.id for task in tasks]
        # One encoder for eval and candidate instructions, so their token codes agree.
        self._encoder = TokenEncoder()
        self._codes = [self._encoder.encode(task.instruction) for task in tasks]

    @classmethod
    def from_config(cls, tasks: Sequence[SeedTask], cfg: CurateConfig) -> "EvalIndex":
        """The index with cfg's n-gram length and near-duplicate threshold."""
        return cls(tasks, cfg.decontamination.ngram, cfg.near_duplicate.threshold)

    def overlap(self, c: Candidate) -> str | None:
        """The id of an eval task `c` overlaps, or None when it is clean.

        Checks the candidate's instruction+input, then its output, for a shared n-gram,
        then its instruction for ROUGE-L >= threshold with an eval instruction.
        """
        for text in (c.instruction + "\n" + c.input, c.output):
            for gram in ngrams(match_tokens(text), self.n):
                task_id = self.grams.get(gram)
                if task_id is not None:
                    return task_id
        i, score = best_match(self._encoder.encode(c.instruction), self._codes)
        if i is not None and score >= self.threshold:
            return self.ids[i]
        return None
