"""Curation's decisions without orchestration: the filters', then a person's, then the outputs.

`decide` is the one place a person's overrides (`core.overrides`) meet the filters' verdicts:
the `curate` flow, `curate --input`, `refilter` and the review page's what-if counts all call
it, so they can never disagree. Overrides are applied after the filters, per row: they change
that row's verdict only, not which earlier rows the batch's duplicate step compared it with
(the ledger keeps what the filters found, and the person's decision beside it).

`curate_without_pool` is `curate --input` with no Prefect orchestration: nothing in it needs
a flow (one process, no pool, no shards), and a flow call first starts Prefect's temporary API
server (~9 s of a 12 s call on 2 cores). It writes the same files as the `curate` flow.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core import overrides
from core.config import CurateConfig
from core.fingerprints import fingerprint_file
from core.overrides import Override
from core.records import Candidate, LedgerRow, SeedTask, load_tasks
from core.store import RunDir, read_jsonl_rows
from filters import check_invariant, curate
from filters.curate import RowFacts
from reports.outputs import write_curated


def decide(candidates: list[Candidate], config: CurateConfig, pool_rows: Sequence[tuple[str, str]],
           eval_tasks: Sequence[SeedTask], person: dict[str, Override],
           facts: Sequence[RowFacts] | None = None) -> list[LedgerRow]:
    """One ledger row per candidate: the filters' verdict, then the person's where they gave one."""
    rows = overrides.apply(curate(candidates, config, pool_rows, eval_tasks, facts=facts), person)
    # kept + dropped = generated, every drop has a reason: checked on every run, not assumed.
    check_invariant(candidates, rows)
    return rows


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
    rows = decide(candidates, config, [], eval_tasks, person)
    summary = write_curated(run, rows, card_info(card, eval_path, 0))
    run.mark_stage("curate", seconds=round(time.perf_counter() - started, 1), **summary)
    return summary
