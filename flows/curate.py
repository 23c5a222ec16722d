"""Prefect flow `curate`: candidates -> ledger (every verdict and reason) -> curated outputs."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from filters import check_invariant, curate
from germinate import pool
from germinate.artifacts import publish_curation
from germinate.config import CurateConfig
from germinate.outputs import fingerprint_file, write_curated
from germinate.records import Candidate, load_tasks
from germinate.store import RunDir, read_jsonl_rows


@task(name="apply-filters", cache_policy=NONE)
def apply_filters(candidates: list[Candidate], config: CurateConfig, pool_rows: list[tuple[str, str]],
                  eval_path: str | None):
    eval_tasks = load_tasks(Path(eval_path), "eval") if eval_path else []
    rows = curate(candidates, config, pool_rows, eval_tasks)
    # kept + dropped = generated, every drop has a reason: checked on every run, not assumed.
    check_invariant(candidates, rows)
    return rows


@flow(name="curate", log_prints=True)
def curate_flow(config: CurateConfig, data_root: str, run_id: str, use_pool: bool = True,
                seeds: str | None = None, card: dict | None = None) -> dict:
    """Filter `candidates.jsonl` of a run; write ledger and curated set; grow the pool.

    Like Self-Instruct, new instructions are compared with the seed tasks they were grown
    from as well as with everything accepted before (the pool).
    """
    started = time.perf_counter()
    run = RunDir(Path(data_root), run_id)
    candidates = [Candidate.model_validate(r) for r in read_jsonl_rows(run.file("candidates.jsonl"))]
    pool_rows = pool.pool_entries(Path(data_root), config.near_duplicate.include_input) if use_pool else []
    # A resumed run must not compare against its own rows already added to the pool.
    pool_rows = [p for p in pool_rows if not p[0].startswith(f"{run_id}-")]
    if seeds:
        pool_rows = [(t.id, t.instruction) for t in load_tasks(Path(seeds), "seed")] + pool_rows
    eval_path = config.decontamination.eval_set
    rows = apply_filters(candidates, config, pool_rows, str(eval_path) if eval_path else None)
    info = dict(card or {})
    info["eval set"] = f"{eval_path} (sha256 {fingerprint_file(eval_path)})" if eval_path else "none"
    info["pool size before run"] = len(pool_rows)
    summary = write_curated(run, rows, info)
    publish_curation(run, rows)
    if use_pool:
        summary["added_to_pool"] = pool.add_run(Path(data_root), run_id, [r for r in rows if r.verdict == "kept"])
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1), **summary)
    return summary
