"""Prefect flow `curate`: candidates -> ledger (every verdict and reason) -> curated outputs.

`decide_rows` is curation's one entry point: the curate flow calls it, and so does every round
of generation (flows/generate.py), so a round's kept count is the real one. Anything expensive
a check needs (a reference LM) belongs behind a per-process cache reached from here, so the
rounds of one run pay for it once.
"""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from collections.abc import Sequence
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core import pool
from core.config import ClusterConfig, CurateConfig, Sampling
from core.fingerprints import fingerprint_file
from core.models import resolve_model
from core.records import Candidate, LedgerRow, load_tasks, similarity_text
from core.store import RunDir, read_jsonl_rows
from filters import check_invariant, curate
from filters.curate import RowFacts, row_facts, with_scores
from filters.index import PoolIndex, persisted_index
from filters.quality import thresholds
from filters.quality.rating import RATING_SCHEMA, rate
from filters.quality.reference_lm import ReferenceLM
from flows.checkpoint import other_runs_rows, pool_state, round_verdicts
from flows.cluster import merge_shards, run_shards, shard_count, shard_indices
from flows.teacher_cache import get_teacher
from reports.artifacts import publish_curation, publish_novelty
from reports.novelty import novelty_figures
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


@lru_cache(maxsize=1)
def reference_lm(path: str, max_field_tokens: int, batch_size: int) -> ReferenceLM:
    """The reference LM, loaded once per process: every round of generation curates its rows."""
    return ReferenceLM.load(path, max_field_tokens, batch_size)


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
        lm = reference_lm(resolve_model(q.reference_model), q.max_field_tokens, q.batch_size)
        for i, found in zip(parsed, lm.score(rows, ifd=q.ifd.enabled)):
            scores[i].update(found)
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


def decide_rows(candidates: list[Candidate], config: CurateConfig, data_root: Path,
                earlier: Sequence[tuple[str, str]], pool_entries: Sequence[tuple[str, str]] = (),
                persisted: bool = True, shards: int = 1, timings: dict[str, float] | None = None) -> list[LedgerRow]:
    """Curation's verdict on each candidate, in order: one ledger row each.

    - `earlier`: (id, text) scored exactly: the seed tasks, then rows kept by this run's
      earlier rounds (few);
    - `pool_entries`: (id, similarity text) of the rows earlier runs accepted, compared through
      the pool's persisted index when `persisted` (they must then be the whole pool of other
      runs, in order), else exactly;
    - `timings` (when given) receives `quality_model_seconds`, the model signals' share.
    """
    index = persisted_index(Path(data_root), config.near_duplicate, list(pool_entries)) \
        if pool_entries and persisted else None
    prior = list(earlier) + list(pool_entries)
    eval_path = config.decontamination.eval_set
    eval_str = str(eval_path) if eval_path else None
    texts = [t for _, t in (earlier if index is not None else prior)]
    facts = sharded_facts(candidates, config, texts, index, eval_str, shards)
    scored = time.perf_counter()
    extra, rationales = model_scores(candidates, config)
    if timings is not None:
        timings["quality_model_seconds"] = round(time.perf_counter() - scored, 1)
    facts = with_scores(facts, extra)
    # The rater's one-line rationale travels with the row into the ledger.
    candidates = [c.model_copy(update={"meta": {**c.meta, "rating_rationale": note}}) if note is not None else c
                  for c, note in zip(candidates, rationales)]
    return apply_filters(candidates, config, prior, eval_str, facts)


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
        check_invariant(candidates, rows)
        print(f"curate: the verdicts of generation's rounds hold (same settings, same pool): {len(rows)} rows")
    else:
        # The pool's persisted index covers the pool; a resume whose own rows are in it already
        # compares exactly instead (the index would hold them).
        rows = decide_rows(candidates, config, root, earlier, pool_entries(before, config),
                           persisted=not own, shards=shard_count(cluster), timings=timings)
    info = dict(card or {})
    eval_path = config.decontamination.eval_set
    info["eval set"] = f"{eval_path} (sha256 {fingerprint_file(eval_path)})" if eval_path else "none"
    info["pool size before run"] = len(earlier) + len(before)
    summary = write_curated(run, rows, info, quality=thresholds(config.quality))
    publish_curation(run, rows)
    if use_pool:
        summary["added_to_pool"] = pool.add_run(root, run_id, [r for r in rows if r.verdict == "kept"])
        summary["novelty"] = novelty_figures(rows, before, [t for _, t in earlier], {i for i, _ in earlier})
        publish_novelty(root, run_id, summary["novelty"], len(rows))
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1), reused_round_verdicts=reused,
                   **timings, **summary)
    return summary
