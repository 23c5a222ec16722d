"""The pool: every instruction accepted so far, across runs, so night N+1 adds only novelty.

`pool/pool.jsonl` holds one row per accepted example with the run that added it. Adding a
run is idempotent (a resumed run does not add its rows twice). `pool/index-*` is the
near-duplicate index of those rows (filters/index.py), kept so night N+1 encodes only the rows
added since: a cache, checked against the pool and rebuilt whenever it does not match.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from germinate.config import NearDuplicateRule
from germinate.errors import GerminateError
from germinate.records import LedgerRow
from germinate.store import atomic_write_json, atomic_write_jsonl, exclusive, read_jsonl_rows, sweep_partial


def pool_path(data_root: Path) -> Path:
    return Path(data_root) / "pool" / "pool.jsonl"


def load_pool(data_root: Path) -> list[dict]:
    return read_jsonl_rows(pool_path(data_root))


def pool_entries(data_root: Path, include_input: bool = False) -> list[tuple[str, str]]:
    """(id, text) pairs the near-duplicate step compares new candidates with."""
    rows = load_pool(data_root)
    return [(r["id"], f"{r['instruction']}\n{r['input']}" if include_input and r["input"] else r["instruction"])
            for r in rows]


@contextmanager
def _pool_lock(data_root: Path) -> Iterator[None]:
    """The pool's writer lock; taking it removes temp copies a killed writer left in pool/."""
    with exclusive(pool_path(data_root).with_name(".lock"), "the pool"):
        sweep_partial(pool_path(data_root).parent)
        yield


def add_run(data_root: Path, run_id: str, kept: list[LedgerRow]) -> int:
    """Append a run's kept rows unless that run is already in the pool; returns rows added."""
    with _pool_lock(data_root):
        rows = load_pool(data_root)
        if any(r["run_id"] == run_id for r in rows):
            return 0
        rows += [{"id": r.id, "run_id": run_id, "instruction": r.instruction, "input": r.input,
                  "output": r.output} for r in kept]
        atomic_write_jsonl(pool_path(data_root), rows)
    return len(kept)


def pool_index(data_root: Path, rule: NearDuplicateRule, entries: list[tuple[str, str]]):
    """The persisted index of `entries` (`pool_entries`, in pool order), brought up to date.

    Only rows past what the saved index covers are encoded. The sidecar state (rows covered,
    id of the last one) is written after the index files, so a crash in between, or a pool
    that changed under it, reads as a mismatch and the index is rebuilt, never trusted.
    """
    from filters.index import PoolIndex

    base = pool_path(data_root).with_name("index-" + ("instruction-input" if rule.include_input else "instruction"))
    state_path = base.with_suffix(".state.json")
    with _pool_lock(data_root):
        index = None
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            rows = int(state["rows"])
            if 0 < rows <= len(entries) and entries[rows - 1][0] == state["last_id"]:
                index = PoolIndex.load(base, threshold=rule.threshold, exact_max_pool=rule.exact_max_pool)
                index = index if len(index) == rows else None
        except (OSError, ValueError, KeyError, TypeError, GerminateError):
            index = None
        if index is None:
            index = PoolIndex(rule.threshold, rule.exact_max_pool)
        new = entries[len(index):]
        if new:
            index.add([text for _, text in new])
            index.save(base)
            atomic_write_json(state_path, {"rows": len(index), "last_id": entries[len(index) - 1][0]})
    return index
