"""Curation's decisions without orchestration: the filters', then a person's, then the outputs.

`decide` is the one place a person's overrides (`core.overrides`) meet the filters' verdicts:
the `curate` flow, `curate --input`, `refilter` and the review page's what-if counts all call
it, so they can never disagree. Overrides are applied after the filters, per row: they change
that row's verdict only, not which earlier rows the batch's duplicate step compared it with
(the ledger keeps what the filters found, and the person's decision beside it).

The model signals' scores (`model_scores_of`: the reference LM's fluency, IFD and quality
classifier from one pass, the optional rater) are computed here
too, with the reference LM loaded once per process: every round of generation curates.

`curate_without_pool` is `curate --input` with no Prefect orchestration: nothing in it needs
a flow (one process, no pool, no shards), and a flow call first starts Prefect's temporary API
server (~9 s of a 12 s call on 2 cores). It writes the same files as the `curate` flow.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from core import overrides
from core.config import CurateConfig, Sampling
from core.fingerprints import fingerprint_file
from core.models import resolve_model
from core.overrides import Override
from core.records import Candidate, LedgerRow, SeedTask, load_tasks
from core.store import RunDir, read_jsonl_rows
from filters import check_invariant, curate
from filters.curate import RowFacts, row_facts, with_scores
from filters.quality import thresholds
from filters.quality.rating import RATING_SCHEMA, rate
from filters.quality.classifier import check_probe, classifier_scores
from filters.quality.reference_lm import ReferenceLM, scores_from_nlls
from flows.teacher_cache import get_teacher
from reports.outputs import write_curated


def decide(candidates: list[Candidate], config: CurateConfig, pool_rows: Sequence[tuple[str, str]],
           eval_tasks: Sequence[SeedTask], person: dict[str, Override],
           facts: Sequence[RowFacts] | None = None) -> list[LedgerRow]:
    """One ledger row per candidate: the filters' verdict, then the person's where they gave one."""
    return with_person(candidates, curate(candidates, config, pool_rows, eval_tasks, facts=facts), person)


def with_person(candidates: list[Candidate], rows: list[LedgerRow], person: dict[str, Override]) -> list[LedgerRow]:
    """`rows` with a person's overrides applied, checked against `candidates`."""
    rows = overrides.apply(rows, person)
    # kept + dropped = generated, every drop has a reason: checked on every run, not assumed.
    check_invariant(candidates, rows)
    return rows


@lru_cache(maxsize=1)
def reference_lm(path: str, max_field_tokens: int, batch_size: int) -> ReferenceLM:
    """The reference LM, loaded once per process: every round of generation curates its rows."""
    return ReferenceLM.load(path, max_field_tokens, batch_size)


def model_scores_of(candidates: list[Candidate], config: CurateConfig) -> tuple[list[dict], list[str | None]]:
    """The model signals' scores for every parseable candidate: the reference LM (fluency,
    IFD) and, when enabled, the rater. Returns (scores, the rater's rationales)."""
    q = config.quality
    scores: list[dict] = [{} for _ in candidates]
    rationales: list[str | None] = [None for _ in candidates]
    parsed = [i for i, c in enumerate(candidates) if not c.parse_error]
    rows = [(candidates[i].instruction, candidates[i].input, candidates[i].output) for i in parsed]
    if rows and (q.fluency.enabled or q.ifd.enabled or q.classifier.enabled):
        lm = reference_lm(resolve_model(q.reference_model), q.max_field_tokens, q.batch_size)
        # The classifier reads hidden states of the pass fluency runs anyway: no extra pass.
        probe = check_probe(q.classifier.weights, q.reference_model) if q.classifier.enabled else None
        nlls, features = lm.nlls_and_features(rows, ifd=q.ifd.enabled, pool_layer=probe.layer if probe else None)
        for i, groups in zip(parsed, nlls):
            scores[i].update(scores_from_nlls(groups))
        if probe is not None:
            for i, found in zip(parsed, classifier_scores(features, probe)):
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


def with_rationales(candidates: list[Candidate], rationales: list[str | None]) -> list[Candidate]:
    """The rater's one-line rationale travels with the row into the ledger."""
    return [c.model_copy(update={"meta": {**c.meta, "rating_rationale": note}}) if note is not None else c
            for c, note in zip(candidates, rationales)]


def card_info(card: dict[str, Any] | None, eval_path: Path | None, pool_size: int) -> dict[str, Any]:
    """The dataset card's provenance plus what the candidates were compared with."""
    info = dict(card or {})
    info["eval set"] = f"{eval_path} (sha256 {fingerprint_file(eval_path)})" if eval_path else "none"
    info["pool size before run"] = pool_size
    return info


def read_candidates(run: RunDir) -> list[Candidate]:
    return [Candidate.model_validate(r) for r in read_jsonl_rows(run.file("candidates.jsonl"))]


def curate_without_pool(run: RunDir, config: CurateConfig, card: dict[str, Any] | None = None) -> dict:
    """Filter a run's candidates against the eval set only (no seeds, no pool); write its outputs."""
    started = time.perf_counter()
    person = overrides.load(run.data_root)  # a damaged file stops here, before anything is written
    candidates = read_candidates(run)
    eval_path = config.decontamination.eval_set
    eval_tasks = load_tasks(eval_path, "eval") if eval_path else []
    facts = row_facts(candidates, config, [], eval_tasks)
    scored = time.perf_counter()
    extra, rationales = model_scores_of(candidates, config)
    model_seconds = round(time.perf_counter() - scored, 1)
    rows = decide(with_rationales(candidates, rationales), config, [], eval_tasks, person, with_scores(facts, extra))
    summary = write_curated(run, rows, card_info(card, eval_path, 0), quality=thresholds(config.quality))
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1), quality_model_seconds=model_seconds,
                   **summary)
    return summary
