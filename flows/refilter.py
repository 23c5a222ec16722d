"""What-if curation: re-apply the filters to a run's stored candidates with other settings.

No teacher is involved: the candidates (with the teacher's raw text and finish reasons) are
on disk, so `germinate refilter RUN --set near_duplicate.threshold=0.8` only re-runs the pure
filters and writes a new ledger and curated set into a sibling run directory
(`<run_id>.refilter-<time>`), leaving the original run and the pool untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import pool
from core.config import CurateConfig, PipelineConfig, dump_config, load_config
from core.records import Candidate, load_tasks, similarity_text
from core.store import RunDir, atomic_write_jsonl, new_run_id, read_jsonl_rows
from filters import check_invariant, curate
from reports.outputs import write_curated


def pool_before(data_root: Path, run_id: str, include_input: bool) -> list[tuple[str, str]]:
    """The pool as it was when `run_id` was curated: rows of earlier runs only."""
    rows = pool.load_pool(data_root)
    created = {}
    for rid in {r["run_id"] for r in rows} | {run_id}:
        status = Path(data_root) / "runs" / rid / "status.json"
        created[rid] = RunDir(data_root, rid).status["created"] if status.exists() else ""
    earlier = [r for r in rows if r["run_id"] != run_id and created[r["run_id"]] <= created[run_id]]
    return [(r["id"], similarity_text(r["instruction"], r["input"], include_input)) for r in earlier]


def refilter(run: RunDir, overrides: list[tuple[str, Any]]) -> tuple[RunDir, dict]:
    """Curate `run`'s candidates again with `curate.<key>=value` overrides; returns the new run."""
    base = load_config(run.file("config.yaml"))
    cfg: PipelineConfig = load_config(run.file("config.yaml"),
                                      [(f"curate.{k}", v) for k, v in overrides])
    curate_cfg: CurateConfig = cfg.curate
    candidates = [Candidate.model_validate(r) for r in read_jsonl_rows(run.file("candidates.jsonl"))]
    entries = []
    if run.status.get("kind") == "pipeline":
        entries = [(t.id, t.instruction) for t in load_tasks(base.generate.seeds, "seed")]
        entries += pool_before(run.data_root, run.run_id, curate_cfg.near_duplicate.include_input)
    eval_path = curate_cfg.decontamination.eval_set
    eval_tasks = load_tasks(eval_path, "eval") if eval_path else []
    rows = curate(candidates, curate_cfg, entries, eval_tasks)
    check_invariant(candidates, rows)
    new = RunDir.create(run.data_root, f"{run.run_id}.refilter-{new_run_id()}", dump_config(cfg), "refilter")
    atomic_write_jsonl(new.file("candidates.jsonl"), [c.model_dump() for c in candidates])
    summary = write_curated(new, rows, {"refiltered from": run.run_id,
                                        "overrides": ", ".join(f"{k}={v}" for k, v in overrides)})
    new.mark_stage("curate", **summary)
    new.update_status(status="completed", source_run=run.run_id)
    return new, summary
