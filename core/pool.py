"""The pool: every instruction accepted so far, across runs, so night N+1 adds only novelty.

`pool/pool.jsonl` holds one row per accepted example with the run that added it. Adding a
run is idempotent (a resumed run does not add its rows twice). `pool/index-*` is the
near-duplicate index of those rows (`filters.index.persisted_index`), kept so night N+1 encodes
only the rows added since: a cache, checked against the pool and rebuilt whenever it does not match.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.records import LedgerRow, similarity_text
from core.store import atomic_write_jsonl, exclusive, read_jsonl_rows, sweep_partial


def pool_path(data_root: Path) -> Path:
    return Path(data_root) / "pool" / "pool.jsonl"


def load_pool(data_root: Path) -> list[dict]:
    return read_jsonl_rows(pool_path(data_root))


def pool_entries(data_root: Path, include_input: bool = False) -> list[tuple[str, str]]:
    """(id, text) pairs the near-duplicate step compares new candidates with."""
    rows = load_pool(data_root)
    return [(r["id"], similarity_text(r["instruction"], r["input"], include_input)) for r in rows]


@contextmanager
def pool_lock(data_root: Path) -> Iterator[None]:
    """The pool's writer lock; taking it removes temp copies a killed writer left in pool/."""
    with exclusive(pool_path(data_root).with_name(".lock"), "the pool"):
        sweep_partial(pool_path(data_root).parent)
        yield


def add_run(data_root: Path, run_id: str, kept: list[LedgerRow]) -> int:
    """Append a run's kept rows unless that run is already in the pool; returns rows added."""
    with pool_lock(data_root):
        rows = load_pool(data_root)
        if any(r["run_id"] == run_id for r in rows):
            return 0
        rows += [{"id": r.id, "run_id": run_id, "instruction": r.instruction, "input": r.input,
                  "output": r.output} for r in kept]
        atomic_write_jsonl(pool_path(data_root), rows)
    return len(kept)
