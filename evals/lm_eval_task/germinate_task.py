"""Hooks of the `germinate_eval` lm-evaluation-harness task (germinate_eval.yaml, next to this
file; lm-eval loads it by path through `!function germinate_task.<name>`).

They reuse germinate's own definitions, so lm-eval and `germinate eval` score alike: the eval
file is read by `core.records.load_tasks`, the prompt is `core.records.user_prompt`, ROUGE-L is
`evals.similarity.rouge_l`, constraints are checked by `evals.constraints`. Germinate must be
importable (installed, or its checkout on PYTHONPATH).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import datasets

from core.paths import DEFAULT_EVAL_SET
from core.records import load_tasks, user_prompt
from evals.constraints import item_results
from evals.similarity import rouge_l


def load_eval_set(eval_set: str | None = None, **_: Any) -> datasets.DatasetDict:
    """The eval set as a `test` split, one row per instance. lm-eval passes the task's
    metadata as keyword arguments: `--metadata '{"eval_set": "FILE"}'` picks another file."""
    rows = [{"id": t.id, "instruction": t.instruction, "input": inst.input, "output": inst.output,
             # JSON text: constraint dicts have different keys, which Arrow columns dislike.
             "constraints": json.dumps(t.constraints, ensure_ascii=False)}
            for t in load_tasks(Path(eval_set) if eval_set else DEFAULT_EVAL_SET, "eval") for inst in t.instances]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def doc_to_text(doc: dict) -> str:
    """The user turn, exactly as germinate's training and evaluation write it."""
    return user_prompt(doc)


def process_results(doc: dict, results: list[str]) -> dict[str, Any]:
    """Per document: ROUGE-L, and the pass/fail lists that `flatten_mean` aggregates (empty
    for a document without constraints, so it does not count)."""
    answer = results[0].strip()
    constraints = json.loads(doc["constraints"])
    strict, loose = item_results(constraints, answer), item_results(constraints, answer, loose=True)
    return {
        "rouge_l": rouge_l(answer, doc["output"]),
        "prompt_level_strict_acc": [all(strict)] if constraints else [],
        "prompt_level_loose_acc": [all(loose)] if constraints else [],
        "inst_level_strict_acc": strict,
        "inst_level_loose_acc": loose,
    }


def flatten_mean(items: list[list[bool]]) -> float:
    """Mean over all pass/fail values of all documents (NaN when none has constraints)."""
    flat = [x for sub in items for x in sub]
    return sum(flat) / len(flat) if flat else math.nan
