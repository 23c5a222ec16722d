"""Prefect flow `curate`: candidates -> ledger (every verdict and reason) -> curated outputs."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core import pool
from core.config import ClusterConfig, CurateConfig, Sampling
from core.fingerprints import fingerprint_file
from core.models import resolve_model
from core.records import Candidate, load_tasks
from core.store import RunDir, read_jsonl_rows
from filters import check_invariant, curate
from filters.curate import RowFacts, row_facts, with_scores
from filters.index import PoolIndex, persisted_index
from filters.quality import thresholds
from filters.quality.rating import RATING_SCHEMA, rate
from filters.quality.reference_lm import ReferenceLM
from flows.cluster import merge_shards, run_shards, shard_count, shard_indices
from flows.generate import get_teacher
from reports.artifacts import publish_curation
from reports.outputs import write_curated


@task(name="row-facts", cache_policy=NONE)
def shard_facts(candidates: list[Candidate], config: CurateConfig, pool_texts: list[str],
                eval_path: str | None, index: PoolIndex | None = None) -> list[RowFacts]:
    """The per-row half of curation for one shard (checks, pool scoring, eval overlap)."""
    eval_tasks = load_tasks(Path(eval_path), "eval") if eval_path else []
    return row_facts(candidates, config, pool_texts, eval_tasks, index)


def sharded_facts(candidates: list[Candidate], config: CurateConfig, pool_texts: list[str],
                  index: PoolIndex | None, eval_path: str | None, shards: int) -> list[RowFacts]:
    """Row facts from `shards` tasks on the flow's task runner (Dask workers; one: inline).

    Called from the flow body: tasks submitted there go to the flow's runner.
    """
    parts = shard_indices(len(candidates), shards)
    results = run_shards(shard_facts, parts, lambda s, idx: (
        [candidates[i] for i in idx], config, pool_texts, eval_path, index)) if parts else []
    return merge_shards(parts, results, len(candidates))


@task(name="quality-model-scores", cache_policy=NONE, tags=["gpu"])
def model_scores(candidates: list[Candidate], config: CurateConfig) -> tuple[list[dict], list[str | None]]:
    """The model signals' scores for every parseable candidate, with the models loaded once:
    the reference LM (fluency, IFD) and, when enabled, the rater. Returns (scores, rationales)."""
    q = config.quality
    scores: list[dict] = [{} for _ in candidates]
    rationales: list[str | None] = [None for _ in candidates]
    parsed = [i for i, c in enumerate(candidates) if not c.parse_error]
    rows = [(candidates[i].instruction, candidates[i].input, candidates[i].output) for i in parsed]
    if rows and (q.fluency.enabled or q.ifd.enabled):
        lm = ReferenceLM.load(resolve_model(q.reference_model), q.max_field_tokens, q.batch_size)
        for i, found in zip(parsed, lm.score(rows, ifd=q.ifd.enabled)):
            scores[i].update(found)
        del lm
    if rows and q.rating.enabled:
        rater = get_teacher(q.rating.teacher)

        def ask(batch: list[list[dict]]) -> list[str]:
            replies = rater.complete(batch, Sampling(temperature=0.0, top_p=1.0, max_tokens=96),
                                     list(range(len(batch))), schema=RATING_SCHEMA)
            return [r.text for r in replies]

        rated, notes = rate(rows, ask)
        for i, found, note in zip(parsed, rated, notes):
            scores[i].update(found)
            rationales[i] = note
    return scores, rationales


@task(name="apply-filters", cache_policy=NONE)
def apply_filters(candidates: list[Candidate], config: CurateConfig, pool_rows: list[tuple[str, str]],
                  eval_path: str | None, facts: list[RowFacts] | None = None):
    eval_tasks = load_tasks(Path(eval_path), "eval") if eval_path else []
    # The order-dependent half (duplicates within the batch) in one pass, here.
    rows = curate(candidates, config, pool_rows, eval_tasks, facts=facts)
    # kept + dropped = generated, every drop has a reason: checked on every run, not assumed.
    check_invariant(candidates, rows)
    return rows


@flow(name="curate", log_prints=True)
def curate_flow(config: CurateConfig, data_root: str, run_id: str, use_pool: bool = True,
                seeds: str | None = None, card: dict | None = None,
                cluster: ClusterConfig = ClusterConfig()) -> dict:
    """Filter `candidates.jsonl` of a run; write ledger and curated set; grow the pool.

    Like Self-Instruct, new instructions are compared with the seed tasks they were grown
    from as well as with everything accepted before (the pool).
    """
    started = time.perf_counter()
    run = RunDir(Path(data_root), run_id)
    candidates = [Candidate.model_validate(r) for r in read_jsonl_rows(run.file("candidates.jsonl"))]
    entries = pool.pool_entries(Path(data_root), config.near_duplicate.include_input) if use_pool else []
    # A resumed run must not compare against its own rows already added to the pool.
    own = [p for p in entries if p[0].startswith(f"{run_id}-")]
    entries = [p for p in entries if not p[0].startswith(f"{run_id}-")]
    seed_rows = [(t.id, t.instruction) for t in load_tasks(Path(seeds), "seed")] if seeds else []
    pool_rows = seed_rows + entries
    # The pool's persisted index covers `entries` (not the seeds, scored exactly: they are few).
    # A resume whose own rows are in the pool already skips it: they would sit inside it.
    index = persisted_index(Path(data_root), config.near_duplicate, entries) if entries and not own else None
    eval_path = config.decontamination.eval_set
    eval_str = str(eval_path) if eval_path else None
    texts = [t for _, t in (seed_rows if index is not None else pool_rows)]
    facts = sharded_facts(candidates, config, texts, index, eval_str, shard_count(cluster))
    scored = time.perf_counter()
    extra, rationales = model_scores(candidates, config)
    scoring_seconds = round(time.perf_counter() - scored, 1)
    facts = with_scores(facts, extra)
    # The rater's one-line rationale travels with the row into the ledger.
    candidates = [c.model_copy(update={"meta": {**c.meta, "rating_rationale": note}}) if note is not None else c
                  for c, note in zip(candidates, rationales)]
    rows = apply_filters(candidates, config, pool_rows, eval_str, facts)
    info = dict(card or {})
    info["eval set"] = f"{eval_path} (sha256 {fingerprint_file(eval_path)})" if eval_path else "none"
    info["pool size before run"] = len(pool_rows)
    summary = write_curated(run, rows, info, quality=thresholds(config.quality))
    publish_curation(run, rows)
    if use_pool:
        summary["added_to_pool"] = pool.add_run(Path(data_root), run_id, [r for r in rows if r.verdict == "kept"])
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1),
                   quality_model_seconds=scoring_seconds, **summary)
    return summary
