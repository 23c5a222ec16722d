"""What-if curation: re-apply the filters to a run's stored candidates with other settings.

No teacher and no model is involved: the candidates (with the teacher's raw text and finish
reasons) and every quality score are on disk, so `germinate refilter RUN --set
near_duplicate.threshold=0.8` (or `--set curate.quality.ifd.max_ifd=0.9`) only re-runs the pure
filters on the stored scores and writes a new ledger and curated set into a sibling run
directory (`<run_id>.refilter-<time>`), leaving the original run and the pool untouched. A person's
overrides are honoured (`flows.curation.decide`), as by every curation. The review page's
threshold sliders count with the same code (`StoredRun.decide`), so what they show is what
`refilter` would write.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from core import overrides, pool
from core.config import CurateConfig, PipelineConfig, dump_config, load_config
from core.errors import GerminateError
from core.overrides import Override
from core.records import Candidate, LedgerRow, SeedTask, load_tasks, similarity_text
from core.store import RunDir, atomic_write_jsonl, new_run_id
from filters.curate import row_facts, with_scores
from filters.quality import SIGNALS, thresholds
from flows.curation import decide, read_candidates
from reports.outputs import read_ledger, write_curated


def curate_key(key: str) -> str:
    """`near_duplicate.threshold` or `curate.near_duplicate.threshold`: both name a curate key."""
    return key if key.startswith("curate.") else f"curate.{key}"


def stored_scores(run: RunDir) -> dict[str, LedgerRow]:
    """The run's ledger rows by id: the scores new verdicts are decided on."""
    ledger = run.file("ledger.parquet")
    return {r.id: r for r in read_ledger(ledger)} if ledger.exists() else {}


def check_model_scores(run: RunDir, now: CurateConfig, candidates: list[Candidate],
                       stored: dict[str, LedgerRow]) -> None:
    """A model signal enabled now whose scores were never computed (it was off, or the run was
    curated before it existed) cannot be re-thresholded: an error, not a silent pass, since
    computing the scores would mean loading the model."""
    if not any(not c.parse_error for c in candidates):
        return
    for signal in SIGNALS:
        prefix = f"{signal.name}."
        if signal.model and getattr(now.quality, signal.name).enabled and not any(
                k.startswith(prefix) for r in stored.values() for k in r.scores):
            raise GerminateError(
                f"curate.quality.{signal.name} has no stored scores in run {run.run_id}; refilter never "
                f"loads a model: curate the run with it enabled, or --set curate.quality.{signal.name}.enabled=false")


def pool_before(data_root: Path, run_id: str, include_input: bool) -> list[tuple[str, str]]:
    """The pool as it was when `run_id` was curated: rows of earlier runs only."""
    rows = pool.load_pool(data_root)
    created = {}
    for rid in {r["run_id"] for r in rows} | {run_id}:
        status = Path(data_root) / "runs" / rid / "status.json"
        created[rid] = RunDir(data_root, rid).status["created"] if status.exists() else ""
    earlier = [r for r in rows if r["run_id"] != run_id and created[r["run_id"]] <= created[run_id]]
    return [(r["id"], similarity_text(r["instruction"], r["input"], include_input)) for r in earlier]


class StoredRun:
    """A curated run's stored candidates and config, read once; `decide` re-curates them."""

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.base: PipelineConfig = load_config(run.file("config.yaml"))
        self.stored = stored_scores(run)
        # The rater's rationale is in the stored ledger row (not in candidates.jsonl): carry it over.
        self.candidates = [
            c.model_copy(update={"meta": {**c.meta, "rating_rationale": self.stored[c.id].meta["rating_rationale"]}})
            if c.id in self.stored and "rating_rationale" in self.stored[c.id].meta else c
            for c in read_candidates(run)]

    def config(self, settings: list[tuple[str, Any]]) -> PipelineConfig:
        """The run's config with `curate.<key>=value` settings (a bad one is a one-line error)."""
        return load_config(self.run.file("config.yaml"), [(curate_key(k), v) for k, v in settings])

    @lru_cache(maxsize=4)
    def compared_with(self, include_input: bool, dropped: frozenset[str] = frozenset()) -> tuple[tuple[str, str], ...]:
        """The seeds and earlier pool rows a pool-fed run's candidates were compared with (less the
        rows a person dropped: `dropped` keys the cache, the pool itself leaves them out)."""
        if self.run.status.get("kind") not in pool.FEEDS_POOL:
            return ()
        entries = [(t.id, t.instruction) for t in self.seed_tasks()]
        return tuple(entries + pool_before(self.run.data_root, self.run.run_id, include_input))

    @lru_cache(maxsize=1)
    def seed_tasks(self) -> tuple[SeedTask, ...]:
        """The seed tasks a pool-fed run was grown from (`copies_seed_example`); none for
        imported data, as its curation had none."""
        if self.run.status.get("kind") not in pool.FEEDS_POOL:
            return ()
        return tuple(load_tasks(self.base.generate.seeds, "seed"))

    @lru_cache(maxsize=4)
    def eval_tasks(self, path: Path | None) -> tuple[SeedTask, ...]:
        return tuple(load_tasks(path, "eval")) if path else ()

    def decide(self, settings: list[tuple[str, Any]], person: dict[str, Override]) -> list[LedgerRow]:
        """The ledger `refilter` would write with these settings and decisions."""
        cfg: CurateConfig = self.config(settings).curate
        check_model_scores(self.run, cfg, self.candidates, self.stored)
        dropped = frozenset(i for i, o in person.items() if o.decision == "drop")
        entries = self.compared_with(cfg.near_duplicate.include_input, dropped)
        eval_tasks = self.eval_tasks(cfg.decontamination.eval_set)
        # Statistical scores are recomputed (cheap, and a run curated before they existed gets
        # them); the stored ones, model scores included, win where both exist.
        facts = row_facts(self.candidates, cfg, [t for _, t in entries], eval_tasks, seed_tasks=self.seed_tasks())
        facts = with_scores(facts, [self.stored[c.id].scores if c.id in self.stored else {} for c in self.candidates])
        return decide(self.candidates, cfg, entries, eval_tasks, person, facts)


def refilter(run: RunDir, settings: list[tuple[str, Any]]) -> tuple[RunDir, dict]:
    """Curate `run`'s candidates again with `curate.<key>=value` settings; returns the new run."""
    stored = StoredRun(run)
    cfg = stored.config(settings)
    rows = stored.decide(settings, overrides.load(run.data_root))
    new = RunDir.create(run.data_root, f"{run.run_id}.refilter-{new_run_id()}", dump_config(cfg), "refilter")
    atomic_write_jsonl(new.file("candidates.jsonl"), [c.model_dump() for c in stored.candidates])
    summary = write_curated(new, rows, {"refiltered from": run.run_id,
                                        "overrides": ", ".join(f"{k}={v}" for k, v in settings)},
                            quality=thresholds(cfg.curate.quality))
    new.mark_stage("curate", **summary)
    new.update_status(status="completed", source_run=run.run_id)
    return new, summary
