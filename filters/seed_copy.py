"""Seed copies: drop a candidate that pastes a seed example's text under a task it does not fit.

Why: the teacher sees seed tasks with their instances in every prompt, and a small model
copies them. Read on a real default night (README, "What a real night keeps"): nearly every
row the other signals kept was a new instruction with a seed instance's input and label
pasted under it ("Hyphenate 'txt' into 'hty'" + the seed's headphone review -> "negative").
Each piece is human-written seed text, so fluency and the classifier find it human-like;
the pair is still wrong, and training on it teaches the student to answer the wrong task.

The rule (measured on the labeled set and that night before it was adopted; README):
- the candidate's input matches a seed instance's input or a seed instruction (rapidfuzz
  `ratio` on `normalize`d text >= `threshold`, or contains it whole) while its instruction
  is not a rewording of that seed's own instruction (ratio < OWN_TASK_RATIO): a seed task
  restated with its own input is a duplicate's business (near_duplicate), not this rule's;
- or its output matches a seed instruction or a seed instance's input (the teacher answered
  with a prompt's text), or a seed instance's output of MIN_CONTAINED_CHARS or more under
  another task's instruction (an answer that belongs to another task);
- or its output is exactly a seed's short label ("negative", "긴급", "command") that neither
  its instruction nor its input names, under an instruction that does not restate a seed with
  that label: "Convert the temperature to Fahrenheit." + "carrot" -> "vegetable". A real
  classification row names its options ("... as positive or negative"), or restates the seed.
Texts shorter than MIN_CHARS are not compared: short inputs ("3, 5") recur by chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from core.records import Candidate, SeedTask
from core.text import normalize

REASON = "copies_seed_example"
# Below this many characters (after normalize) a match says nothing: "3, 5" or "yes" recur.
MIN_CHARS = 8
# A whole seed input found inside a longer candidate input counts from this length on
# (a pasted review plus a sentence of the teacher's own).
MIN_CONTAINED_CHARS = 15
# An instruction this close to the seed's own (ratio, 0-100) restates that seed task.
OWN_TASK_RATIO = 70.0


@dataclass(frozen=True)
class _Texts:
    """Seed texts of one kind, each with the index of the seed it belongs to."""

    texts: list[str]
    owners: list[int]

    @classmethod
    def of(cls, pairs: list[tuple[str, int]], min_chars: int) -> "_Texts":
        kept = [(t, k) for t, k in pairs if len(t) >= min_chars]
        return cls([t for t, _ in kept], [k for _, k in kept])


class SeedCopyIndex:
    """The seed tasks' texts, each with the seed it belongs to, ready to test candidates against."""

    def __init__(self, tasks: Sequence[SeedTask], threshold: float) -> None:
        self.cutoff = threshold * 100.0  # rapidfuzz scores 0-100
        self.ids = [t.id for t in tasks]
        self.instructions = [normalize(t.instruction) for t in tasks]
        prompt = [(text, k) for k, text in enumerate(self.instructions)]
        answers = []
        for k, task in enumerate(tasks):
            for inst in task.instances:
                prompt.append((normalize(inst.input), k))
                answers.append((normalize(inst.output), k))
        # Texts a candidate's input or output may not copy: instructions and inputs...
        self.prompt = _Texts.of(prompt, MIN_CHARS)
        # ...and answers long enough to be one task's own.
        self.answers = _Texts.of(answers, MIN_CONTAINED_CHARS)
        # Short answers (labels), each with the seeds that use it.
        self.labels: dict[str, list[int]] = {}
        for text, k in answers:
            if 0 < len(text) < MIN_CONTAINED_CHARS:
                owners = self.labels.setdefault(text, [])
                if k not in owners:
                    owners.append(k)

    def copied(self, c: Candidate) -> str | None:
        """'<seed id> input|output|label' naming the seed copied and what was copied, or None."""
        instruction = normalize(c.instruction)
        inp, out = normalize(c.input), normalize(c.output)
        for k in self._matches(inp, self.prompt):
            if not self._own_task(instruction, k):
                return f"{self.ids[k]} input"
        for k in self._matches(out, self.prompt, contained=False):
            return f"{self.ids[k]} output"
        for k in self._matches(out, self.answers, contained=False):
            if not self._own_task(instruction, k):
                return f"{self.ids[k]} output"
        owners = self.labels.get(out, [])
        if owners and out not in instruction and out not in inp and \
                not any(self._own_task(instruction, k) for k in owners):
            return f"{self.ids[owners[0]]} label"
        return None

    def _own_task(self, instruction: str, k: int) -> bool:
        """Whether `instruction` restates seed k's own instruction."""
        return fuzz.ratio(instruction, self.instructions[k]) >= OWN_TASK_RATIO

    def _matches(self, text: str, seeds: _Texts, contained: bool = True) -> list[int]:
        """The seeds (indices, in text order, repeats removed) whose texts `text` matches
        (ratio >= cutoff) or, when `contained`, holds whole."""
        if len(text) < MIN_CHARS or not seeds.texts:
            return []
        hits = {j for _, _, j in process.extract(text, seeds.texts, scorer=fuzz.ratio,
                                                 score_cutoff=self.cutoff, limit=None)}
        if contained:
            hits.update(j for j, t in enumerate(seeds.texts) if len(t) >= MIN_CONTAINED_CHARS and t in text)
        return list(dict.fromkeys(seeds.owners[j] for j in sorted(hits)))
