"""What-if curation: re-apply the filters to a run's stored candidates with other settings.

No teacher and no model is involved: the candidates (with the teacher's raw text and finish
reasons) and every quality score are on disk, so `germinate refilter RUN --set
near_duplicate.threshold=0.8` (or `--set curate.quality.ifd.max_ifd=0.9`) only re-runs the pure
filters on the stored scores and writes a new ledger and curated set into a sibling run
directory (`<run_id>.refilter-<time>`), leaving the original run and the pool untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import pool
from core.config import CurateConfig, PipelineConfig, dump_config, load_config
from core.errors import GerminateError
from core.records import Candidate, LedgerRow, load_tasks, similarity_text
from core.store import RunDir, atomic_write_jsonl, new_run_id, read_jsonl_rows
from filters import check_invariant, curate
from filters.curate import row_facts, with_scores
from filters.quality import SIGNALS, thresholds
from reports.outputs import read_ledger, write_curated


def pool_before(data_root: Path, run_id: str, include_input: bool) -> list[tuple[str, str]]:
    """The pool as it was when `run_id` was curated: rows of earlier runs only."""
    rows = pool.load_pool(data_root)
    created = {}
    for rid in {r["run_id"] for r in rows} | {run_id}:
        status = Path(data_root) / "runs" / rid / "status.json"
        created[rid] = RunDir(data_root, rid).status["created"] if status.exists() else ""
    earlier = [r for r in rows if r["run_id"] != run_id and created[r["run_id"]] <= created[run_id]]
    return [(r["id"], similarity_text(r["instruction"], r["input"], include_input)) for r in earlier]


def curate_key(key: str) -> str:
    """`near_duplicate.threshold` or `curate.near_duplicate.threshold`: both name a curate key."""
    return key if key.startswith("curate.") else f"curate.{key}"


def stored_scores(run: RunDir, now: CurateConfig, candidates: list[Candidate]) -> dict[str, LedgerRow]:
    """The run's ledger rows by id, whose scores the new verdicts are decided on. A model signal
    enabled now whose scores were never computed (it was off, or the run was curated before it
    existed) cannot be re-thresholded: an error, not a silent pass, since computing the scores
    would mean loading the model."""
    ledger = run.file("ledger.parquet")
    rows = {r.id: r for r in read_ledger(ledger)} if ledger.exists() else {}
    if not any(not c.parse_error for c in candidates):
        return rows
    for signal in SIGNALS:
        prefix = f"{signal.name}."
        if signal.model and getattr(now.quality, signal.name).enabled and not any(
                k.startswith(prefix) for r in rows.values() for k in r.scores):
            raise GerminateError(
                f"curate.quality.{signal.name} has no stored scores in run {run.run_id}; refilter never "
                f"loads a model: curate the run with it enabled, or --set curate.quality.{signal.name}.enabled=false")
    return rows


def refilter(run: RunDir, overrides: list[tuple[str, Any]]) -> tuple[RunDir, dict]:
    """Curate `run`'s candidates again with `curate.<key>=value` overrides; returns the new run."""
    base = load_config(run.file("config.yaml"))
    cfg: PipelineConfig = load_config(run.file("config.yaml"), [(curate_key(k), v) for k, v in overrides])
    curate_cfg: CurateConfig = cfg.curate
    candidates = [Candidate.model_validate(r) for r in read_jsonl_rows(run.file("candidates.jsonl"))]
    stored = stored_scores(run, curate_cfg, candidates)
    # The rater's rationale is in the stored ledger row (not in candidates.jsonl): carry it over.
    scored = [c.model_copy(update={"meta": {**c.meta, "rating_rationale": stored[c.id].meta["rating_rationale"]}})
              if c.id in stored and "rating_rationale" in stored[c.id].meta else c for c in candidates]
    entries = []
    if run.status.get("kind") == "pipeline":
        entries = [(t.id, t.instruction) for t in load_tasks(base.generate.seeds, "seed")]
        entries += pool_before(run.data_root, run.run_id, curate_cfg.near_duplicate.include_input)
    eval_path = curate_cfg.decontamination.eval_set
    eval_tasks = load_tasks(eval_path, "eval") if eval_path else []
    # Statistical scores are recomputed (cheap, and a run curated before they existed gets
    # them); the stored ones, model scores included, win where both exist.
    facts = row_facts(scored, curate_cfg, [t for _, t in entries], eval_tasks)
    facts = with_scores(facts, [stored[c.id].scores if c.id in stored else {} for c in scored])
    rows = curate(scored, curate_cfg, entries, eval_tasks, facts=facts)
    check_invariant(scored, rows)
    new = RunDir.create(run.data_root, f"{run.run_id}.refilter-{new_run_id()}", dump_config(cfg), "refilter")
    atomic_write_jsonl(new.file("candidates.jsonl"), [c.model_dump() for c in candidates])
    summary = write_curated(new, rows, {"refiltered from": run.run_id,
                                        "overrides": ", ".join(f"{k}={v}" for k, v in overrides)},
                            quality=thresholds(curate_cfg.quality))
    new.mark_stage("curate", **summary)
    new.update_status(status="completed", source_run=run.run_id)
    return new, summary
