"""The pool: every instruction accepted so far, across runs, so night N+1 adds only novelty.

`pool/pool.jsonl` holds one row per accepted example with the run that added it. Adding a
run is idempotent (a resumed run does not add its rows twice). `pool/index-*` is the
near-duplicate index of those rows (`filters.index.persisted_index`), kept so night N+1 encodes
only the rows added since: a cache, checked against the pool and rebuilt whenever it does not match.

A person's decisions (`core.overrides`) win over curation's: a row they dropped moves to
`pool/removed.jsonl` (back into the pool if the decision is withdrawn), a row they kept joins
the pool when its run feeds the pool, and `load_pool` never returns a dropped row even before
the files are brought up to date, so tuning and the duplicate check never see one.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core import overrides
from core.records import LedgerRow, similarity_text
from core.store import atomic_write_jsonl, exclusive, read_jsonl_rows, sweep_partial

ADDED_BY_OVERRIDE = "override"  # `added_by` of a row in the pool only because a person kept it
# Runs whose curation compares with the pool and adds to it (`run`, and `curate RUN` of a
# `generate` run); `curate --input` and `refilter` runs leave it alone.
FEEDS_POOL = ("pipeline", "generate")


def pool_path(data_root: Path) -> Path:
    return Path(data_root) / "pool" / "pool.jsonl"


def removed_path(data_root: Path) -> Path:
    return pool_path(data_root).with_name("removed.jsonl")


def load_pool(data_root: Path) -> list[dict]:
    """The pool's rows, less any a person dropped."""
    dropped = overrides.dropped_ids(data_root)
    return [r for r in read_jsonl_rows(pool_path(data_root)) if r["id"] not in dropped]


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
        rows = read_jsonl_rows(pool_path(data_root))
        earlier = rows + read_jsonl_rows(removed_path(data_root))
        if any(r["run_id"] == run_id and r.get("added_by") != ADDED_BY_OVERRIDE for r in earlier):
            return 0
        present = {r["id"] for r in earlier}
        new = [{"id": r.id, "run_id": run_id, "instruction": r.instruction, "input": r.input,
                "output": r.output} for r in kept if r.id not in present]
        atomic_write_jsonl(pool_path(data_root), rows + new)
        _honour(data_root)
    return len(new)


def honour_overrides(data_root: Path) -> dict[str, int]:
    """Bring the pool's files in line with the overrides; returns rows removed, restored, added."""
    with pool_lock(data_root):
        return _honour(data_root)


def _honour(data_root: Path) -> dict[str, int]:
    decisions = overrides.load(data_root)
    drop = {i for i, o in decisions.items() if o.decision == "drop"}
    keep = {i: o for i, o in decisions.items() if o.decision == "keep" and o.pool_run}
    rows, removed = read_jsonl_rows(pool_path(data_root)), read_jsonl_rows(removed_path(data_root))
    pool, out, moved = [], [], 0
    for r in rows:
        if r["id"] in drop:
            out.append(r)
            moved += 1
        elif r.get("added_by") != ADDED_BY_OVERRIDE or r["id"] in keep:
            pool.append(r)  # (a row only a withdrawn keep had put here leaves)
    restored = 0
    for r in removed:
        if r["id"] in drop:
            out.append(r)
        elif r.get("added_by") != ADDED_BY_OVERRIDE:  # the drop was withdrawn: back it goes
            pool.append(r)
            restored += 1
    present = {r["id"] for r in pool + out}
    added = [{"id": o.id, "run_id": o.pool_run, "instruction": o.instruction, "input": o.input,
              "output": o.output, "added_by": ADDED_BY_OVERRIDE} for i, o in keep.items() if i not in present]
    pool += added
    if pool != rows:
        atomic_write_jsonl(pool_path(data_root), pool)
    if out != removed:
        atomic_write_jsonl(removed_path(data_root), out)
    return {"removed": moved, "restored": restored, "added": len(added)}
