"""Generation's resume point, `RUN/checkpoint.json`, and the pool as a run found it.

Written atomically after every round of generation:

    {"version": 2,
     "pool": {"rows": N, "last_id": "..."},   the pool (rows of other runs) when the run started
     "decided_with": "<key>",               curate settings, seeds and eval set of the verdicts
     "next_index": i, "next_classify": j, "next_instance": k,   request indices used so far
     "rounds": [{"round": 1, "generated": 30, "kept": 9, ...}],  each round's yield
     "candidates": [...], "rows": [...],    finished rounds' candidates and their ledger rows
     "requests": [...]}                     finished rounds' request log

The pool only grows (`core.pool.add_run` appends), so "the first N rows, the N-th with this id"
pins down what the run saw even after another night wrote to it: a resumed run samples its
examples from, and compares its rows with, exactly the rows an uninterrupted run would have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import pool
from core.errors import GerminateError
from core.records import LedgerRow
from core.store import RunDir, read_json_object

VERSION = 2


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint at `path`, or a fresh one; one written by an older germinate is an error."""
    if not path.exists():
        return {"version": VERSION, "pool": None, "decided_with": None, "next_index": 0, "next_classify": 0,
                "next_instance": 0, "rounds": [], "candidates": [], "rows": [], "requests": []}
    ckpt = read_json_object(path)
    if ckpt.get("version") != VERSION:
        raise GerminateError(f"{path} was written by an older germinate (no per-round verdicts): "
                             f"start a new run, or finish this one with the version that began it")
    return ckpt


def other_runs_rows(data_root: Path, run_id: str) -> list[dict]:
    """Pool rows added by runs other than `run_id`, in pool order."""
    return [r for r in pool.load_pool(data_root) if r["run_id"] != run_id]


def pool_state(rows: list[dict]) -> dict[str, Any]:
    """What identifies a pool prefix: its size and the id of its last row."""
    return {"rows": len(rows), "last_id": rows[-1]["id"] if rows else None}


def pool_as_found(data_root: Path, run_id: str, recorded: dict[str, Any] | None) -> list[dict]:
    """The pool rows of other runs as `recorded` (size, last id) says the run found them; all of
    them when nothing is recorded yet. A pool that no longer starts with them is an error: the
    run's requests could not be rebuilt."""
    rows = other_runs_rows(data_root, run_id)
    if recorded is None:
        return rows
    n = recorded["rows"]
    if len(rows) < n or pool_state(rows[:n]) != recorded:
        raise GerminateError(f"the pool no longer starts with the {n} rows run {run_id} started from "
                             f"(last {recorded['last_id']}): pool/pool.jsonl was edited; start a new run")
    return rows[:n]


def round_verdicts(run: RunDir, key: str, state: dict[str, Any], count: int) -> list[LedgerRow] | None:
    """The ledger rows generation's rounds decided, if they hold now: made with the same
    curation settings (`key`), against the same pool (`state`), for all `count` candidates."""
    path = run.file("checkpoint.json")
    if not path.exists():
        return None
    try:
        ckpt = read_checkpoint(path)
    except GerminateError:
        return None
    if ckpt["decided_with"] != key or ckpt["pool"] != state or len(ckpt["rows"]) != count:
        return None
    return [LedgerRow.model_validate(r) for r in ckpt["rows"]]
