"""Prefect flow `curate`: candidates -> ledger (every verdict and reason) -> curated outputs.

`decide_rows` is curation's one entry point: the curate flow calls it, and so does every round
of generation (flows/generate.py), so a round's kept count is the real one. Anything expensive
a check needs (a reference LM) belongs behind a per-process cache reached from here, so the
rounds of one run pay for it once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core import overrides, pool
from core.config import ClusterConfig, CurateConfig
from core.fingerprints import fingerprint_file
from core.overrides import Override
from core.records import Candidate, LedgerRow, load_tasks, similarity_text
from core.store import RunDir, read_jsonl_rows
from filters.curate import RowFacts, row_facts, with_scores
from filters.index import PoolIndex, persisted_index
from filters.quality import thresholds
from flows.checkpoint import other_runs_rows, pool_state, round_verdicts
from flows.cluster import merge_shards, run_shards, shard_count, shard_indices
from flows.curation import card_info, decide, model_scores_of, with_person, with_rationales
from reports.artifacts import publish_curation, publish_novelty
from reports.novelty import novelty_figures
from reports.outputs import write_curated


@task(name="row-facts", cache_policy=NONE)
def shard_facts(candidates: list[Candidate], config: CurateConfig, pool_texts: list[str],
                eval_path: str | None, index: PoolIndex | None = None,
                seeds: str | None = None) -> list[RowFacts]:
    """The per-row half of curation for one shard (checks, pool scoring, eval overlap, seed
    copies). Files travel as paths: a worker reads them rather than receiving their rows."""
    eval_tasks = load_tasks(Path(eval_path), "eval") if eval_path else []
    seed_tasks = load_tasks(Path(seeds), "seed") if seeds else []
    return row_facts(candidates, config, pool_texts, eval_tasks, index, seed_tasks)


def sharded_facts(candidates: list[Candidate], config: CurateConfig, pool_texts: list[str],
                  index: PoolIndex | None, eval_path: str | None, shards: int,
                  seeds: str | None = None) -> list[RowFacts]:
    """Row facts from `shards` tasks on the flow's task runner (Dask workers; one: inline).

    Called from the flow body: tasks submitted there go to the flow's runner.
    """
    parts = shard_indices(len(candidates), shards)
    results = run_shards(shard_facts, parts, lambda s, idx: (
        [candidates[i] for i in idx], config, pool_texts, eval_path, index, seeds)) if parts else []
    return merge_shards(parts, results, len(candidates))


@task(name="quality-model-scores", cache_policy=NONE, tags=["gpu"])
def model_scores(candidates: list[Candidate], config: CurateConfig) -> tuple[list[dict], list[str | None]]:
    """The model signals' scores (`flows.curation.model_scores_of`), as a task: tagged `gpu`."""
    return model_scores_of(candidates, config)


@task(name="apply-filters", cache_policy=NONE)
def apply_filters(candidates: list[Candidate], config: CurateConfig, pool_rows: list[tuple[str, str]],
                  eval_path: str | None, facts: list[RowFacts] | None = None,
                  person: dict[str, Override] | None = None):
    eval_tasks = load_tasks(Path(eval_path), "eval") if eval_path else []
    # The order-dependent half (duplicates within the batch) in one pass, here; then the
    # decisions a person made on the review page.
    return decide(candidates, config, pool_rows, eval_tasks, person or {}, facts)


def decide_rows(candidates: list[Candidate], config: CurateConfig, data_root: Path,
                earlier: Sequence[tuple[str, str]], pool_entries: Sequence[tuple[str, str]] = (),
                persisted: bool = True, shards: int = 1, timings: dict[str, float] | None = None,
                person: dict[str, Override] | None = None, seeds: str | None = None) -> list[LedgerRow]:
    """Curation's verdict on each candidate, in order: one ledger row each.

    - `earlier`: (id, text) scored exactly: the seed tasks, then rows kept by this run's
      earlier rounds (few);
    - `pool_entries`: (id, similarity text) of the rows earlier runs accepted, compared through
      the pool's persisted index when `persisted` (they must then be the whole pool of other
      runs, in order), else exactly;
    - `timings` (when given) receives `quality_model_seconds`, the model signals' share;
    - `person`: a person's overrides (`core.overrides`), applied last;
    - `seeds`: the seed file the candidates were grown from (`copies_seed_example`).
    """
    index = persisted_index(Path(data_root), config.near_duplicate, list(pool_entries)) \
        if pool_entries and persisted else None
    prior = list(earlier) + list(pool_entries)
    eval_path = config.decontamination.eval_set
    eval_str = str(eval_path) if eval_path else None
    texts = [t for _, t in (earlier if index is not None else prior)]
    facts = sharded_facts(candidates, config, texts, index, eval_str, shards, seeds)
    scored = time.perf_counter()
    extra, rationales = model_scores(candidates, config)
    if timings is not None:
        timings["quality_model_seconds"] = round(time.perf_counter() - scored, 1)
    facts = with_scores(facts, extra)
    candidates = with_rationales(candidates, rationales)
    return apply_filters(candidates, config, prior, eval_str, facts, person)


def decision_key(config: CurateConfig, seeds: str | None) -> str:
    """What a verdict depends on besides the candidate and the pool: curation's settings, the
    seed tasks and the eval set (their contents). Rounds' verdicts are reused only under it."""
    parts = [config.model_dump_json(), str(fingerprint_file(Path(seeds)) if seeds else None),
             str(fingerprint_file(config.decontamination.eval_set))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def seed_rows(seeds: str | None) -> list[tuple[str, str]]:
    """(id, instruction) of the seed tasks: the first texts every candidate is compared with."""
    return [(t.id, t.instruction) for t in load_tasks(Path(seeds), "seed")] if seeds else []


def pool_entries(rows: Sequence[dict], config: CurateConfig) -> list[tuple[str, str]]:
    """(id, similarity text) of pool rows, as the near-duplicate step compares them."""
    include = config.near_duplicate.include_input
    return [(r["id"], similarity_text(r["instruction"], r["input"], include)) for r in rows]


@flow(name="curate", log_prints=True)
def curate_flow(config: CurateConfig, data_root: str, run_id: str, use_pool: bool = True,
                seeds: str | None = None, card: dict | None = None,
                cluster: ClusterConfig = ClusterConfig()) -> dict:
    """Filter `candidates.jsonl` of a run; write ledger and curated set; grow the pool.

    Like Self-Instruct, new instructions are compared with the seed tasks they were grown
    from as well as with everything accepted before (the pool). When generation's rounds
    already decided every row with these settings against this pool, their verdicts are used
    as they are (the same function made them); otherwise every row is decided here.
    """
    started = time.perf_counter()
    root = Path(data_root)
    run = RunDir(root, run_id)
    person = overrides.load(root)
    candidates = [Candidate.model_validate(r) for r in read_jsonl_rows(run.file("candidates.jsonl"))]
    everything = pool.load_pool(root) if use_pool else []
    # A resumed run must not compare against its own rows already added to the pool.
    own = any(r["run_id"] == run_id for r in everything)
    before = other_runs_rows(root, run_id) if use_pool else []
    earlier = seed_rows(seeds)
    rows = round_verdicts(run, decision_key(config, seeds), pool_state(before), len(candidates)) \
        if use_pool else None
    reused = rows is not None
    timings: dict[str, float] = {}
    if reused:
        rows = with_person(candidates, rows, person)  # the rounds had no overrides for new rows
        print(f"curate: the verdicts of generation's rounds hold (same settings, same pool): {len(rows)} rows")
    else:
        # The pool's persisted index covers the pool; a resume whose own rows are in it already
        # compares exactly instead (the index would hold them).
        rows = decide_rows(candidates, config, root, earlier, pool_entries(before, config),
                           persisted=not own, shards=shard_count(cluster), timings=timings, person=person,
                           seeds=seeds)
    info = card_info(card, config.decontamination.eval_set, len(earlier) + len(before))
    summary = write_curated(run, rows, info, quality=thresholds(config.quality))
    publish_curation(run, rows)
    if use_pool:
        summary["added_to_pool"] = pool.add_run(root, run_id, [r for r in rows if r.verdict == "kept"])
        summary["novelty"] = novelty_figures(rows, before, [t for _, t in earlier], {i for i, _ in earlier})
        publish_novelty(root, run_id, summary["novelty"], len(rows))
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1), reused_round_verdicts=reused,
                   **timings, **summary)
    return summary
