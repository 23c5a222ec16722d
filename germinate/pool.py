"""The pool: every instruction accepted so far, across runs, so night N+1 adds only novelty.

`pool/pool.jsonl` holds one row per accepted example with the run that added it. Adding a
run is idempotent (a resumed run does not add its rows twice).
"""

from __future__ import annotations

from pathlib import Path

from germinate.records import LedgerRow
from germinate.store import atomic_write_jsonl, exclusive, read_jsonl_rows


def pool_path(data_root: Path) -> Path:
    return Path(data_root) / "pool" / "pool.jsonl"


def load_pool(data_root: Path) -> list[dict]:
    return read_jsonl_rows(pool_path(data_root))


def pool_entries(data_root: Path, include_input: bool = False) -> list[tuple[str, str]]:
    """(id, text) pairs the near-duplicate step compares new candidates with."""
    rows = load_pool(data_root)
    return [(r["id"], f"{r['instruction']}\n{r['input']}" if include_input and r["input"] else r["instruction"])
            for r in rows]


def add_run(data_root: Path, run_id: str, kept: list[LedgerRow]) -> int:
    """Append a run's kept rows unless that run is already in the pool; returns rows added."""
    with exclusive(pool_path(data_root).with_name(".lock"), "the pool"):
        rows = load_pool(data_root)
        if any(r["run_id"] == run_id for r in rows):
            return 0
        rows += [{"id": r.id, "run_id": run_id, "instruction": r.instruction, "input": r.input,
                  "output": r.output} for r in kept]
        atomic_write_jsonl(pool_path(data_root), rows)
    return len(kept)
