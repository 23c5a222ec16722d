"""Prefect flow `curate`: candidates -> ledger (every verdict and reason) -> curated outputs."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core import overrides, pool
from core.config import ClusterConfig, CurateConfig
from core.overrides import Override
from core.records import Candidate, load_tasks
from core.store import RunDir, read_jsonl_rows
from filters.curate import RowFacts, row_facts
from filters.index import PoolIndex, persisted_index
from flows.cluster import merge_shards, run_shards, shard_count, shard_indices
from flows.curation import card_info, decide
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


@task(name="apply-filters", cache_policy=NONE)
def apply_filters(candidates: list[Candidate], config: CurateConfig, pool_rows: list[tuple[str, str]],
                  eval_path: str | None, facts: list[RowFacts] | None = None,
                  person: dict[str, Override] | None = None):
    eval_tasks = load_tasks(Path(eval_path), "eval") if eval_path else []
    # The order-dependent half (duplicates within the batch) in one pass, here; then the
    # decisions a person made on the review page.
    return decide(candidates, config, pool_rows, eval_tasks, person or {}, facts)


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
    person = overrides.load(Path(data_root))
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
    rows = apply_filters(candidates, config, pool_rows, eval_str, facts, person)
    summary = write_curated(run, rows, card_info(card, eval_path, len(pool_rows)))
    publish_curation(run, rows)
    if use_pool:
        summary["added_to_pool"] = pool.add_run(Path(data_root), run_id, [r for r in rows if r.verdict == "kept"])
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1), **summary)
    return summary
