"""A person's review decisions as labeled rows for the quality benchmark (`germinate overrides export`).

The format is the quality labeled set's (`tests/data/quality/labeled_<name>.jsonl`): the
labeling rule as the first line, then one row per decision, `keep` labeled `good` and `drop`
labeled `bad`. The row id is the candidate id, so the dev/test split (sha256 of the id) of a row
is the same in every file that labels it: the same row can never be dev in one file and test in
another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.language import detect_language
from core.overrides import Override
from core.store import atomic_write_jsonl

LABELING_RULE = (
    "Would a careful person put this instruction/input/output example into an instruction-tuning "
    "set? good only if all hold, else bad: (1) the instruction is a coherent, self-contained task a "
    "text-only assistant can do, in natural, grammatical English or Korean (not garbage text, "
    "non-words in Hangul, a fragment, a timestamp or number string, a list or letter loop, a "
    "near-copy of a seed, or a task needing images/files/audio/web); (2) the input is present when "
    "the instruction refers to something to work on and is then that thing, and empty when the task "
    "is complete on its own; (3) the output answers this instruction and input correctly or at least "
    "reasonably: relevant, complete, in the language the task calls for, no loops, no garbage, no "
    "refusal, not another task's answer, a pasted seed label or a copy of the input; (4) nothing "
    "harmful. When unsure, bad. Judge the content, not the style."
)
LABELS = {"keep": "good", "drop": "bad"}


def split_of(row_id: str) -> str:
    """`dev` or `test`, by the labeling rule's hash of the id."""
    return "dev" if int(hashlib.sha256(row_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def labeled_row(o: Override) -> dict[str, Any]:
    """One decision as a labeled row."""
    lang = detect_language(o.instruction) or "en"
    return {
        "id": o.id, "source": f"{o.source or 'unknown'}:{lang}", "lang": lang,
        "instruction": o.instruction, "input": o.input, "output": o.output,
        "label": LABELS[o.decision], "note": o.note or f"{o.decision} on the review page",
        "split": split_of(o.id), "run_id": o.run_id, "candidate_id": o.id,
    }


def export_labels(decisions: Iterable[Override], path: Path) -> int:
    """Write the labeled set (rule first) atomically; returns the number of rows."""
    rows = [labeled_row(o) for o in decisions]
    atomic_write_jsonl(path, [{"_labeling_rule": LABELING_RULE}, *rows])
    return len(rows)
