"""Prefect flow `tune`: curated data (pool + seeds) -> LoRA adapter in `runs/<run_id>/adapter/`."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core.config import CurateConfig, TuneConfig
from core.fingerprints import rows_fingerprint
from core.models import resolve_model
from core.records import load_tasks
from core.store import RunDir, atomic_write_jsonl
from flows.evaluate_checks import seeds_overlapping_eval
from tuning.data import training_rows
from tuning.train import read_adapter_info, settings_changes, train

# Run kinds whose curated rows are not the nightly pool's (`data_for_kind`).
OWN_DATA_KINDS = ("curate", "refilter")


@task(name="train-lora", cache_policy=NONE, tags=["gpu"])
def train_task(config: TuneConfig, model_path: str, rows: list[dict], adapter_dir: str,
               data_fingerprint: str) -> dict:
    return train(config, model_path, rows, Path(adapter_dir), data_fingerprint, config.student)


def adapter_changes(run: RunDir, config: TuneConfig) -> list[str]:
    """How the settings `config` asks for differ from those the run's adapter was trained with
    (`tuning.train.settings_changes`); none when it has no adapter yet or no recorded settings."""
    info_path = run.file("adapter") / "germinate_adapter.json"
    if not info_path.exists():
        return []
    return settings_changes(read_adapter_info(run.file("adapter")).get("config"), config)


def data_for_kind(config: TuneConfig, kind: str | None, told: bool) -> TuneConfig:
    """A run made by `curate --input` or `refilter` trains on its own rows (`data=run`), not on
    the nightly pool it has nothing to do with, unless `tune.data` was set explicitly (`told`)."""
    if kind in OWN_DATA_KINDS and not told and config.data != "run":
        return config.model_copy(update={"data": "run"})
    return config


@flow(name="tune", log_prints=True)
def tune_flow(config: TuneConfig, data_root: str, run_id: str, seeds: str | None = None,
              eval_set: str | None = None, curate: CurateConfig | None = None) -> str:
    """Train the student's LoRA adapter; returns its directory. A finished step is not redone.

    With `eval_set`, seed tasks that overlap it (curation's decontamination rule, `curate`'s
    settings) are left out: the curated data was decontaminated, the seeds were not.
    """
    run = RunDir(Path(data_root), run_id)
    adapter_dir = run.file("adapter")
    if run.stage_done("tune") and (adapter_dir / "adapter_config.json").exists():
        changes = adapter_changes(run, config)
        if not changes:
            return str(adapter_dir)
        # The evaluation was of the adapter about to be replaced.
        run.update_status(stages={k: v for k, v in run.status["stages"].items() if k != "evaluate"})
    # A half-built adapter of a killed training (`.adapter.*`) is gone already: every caller
    # holds the run's lock, and taking it removes what killed writers left (RunDir.lock).
    started = time.perf_counter()
    seed_tasks = load_tasks(Path(seeds), "seed") if seeds and config.include_seeds else []
    left_out = seeds_overlapping_eval(seed_tasks, Path(eval_set), curate or CurateConfig()) if eval_set else {}
    if left_out:
        print(f"left out {len(left_out)} seed task(s) that overlap the eval set: "
              + ", ".join(f"{s} ~ {e}" for s, e in left_out.items()))
        seed_tasks = [t for t in seed_tasks if t.id not in left_out]
    rows = training_rows(run, config, seed_tasks)
    data_fp = rows_fingerprint(rows)
    # The exact examples trained on, next to the adapter, so a result can be traced to its data.
    atomic_write_jsonl(run.file("train.jsonl"), rows)
    info = train_task(config, resolve_model(config.student), rows, str(adapter_dir), data_fp)
    print(f"trained {info['steps']} steps on {info['examples']} examples in {info['train_runtime_s']} s; "
          f"loss {info['loss_curve'][0]['loss']:.3f} -> {info['loss_curve'][-1]['loss']:.3f}")
    run.mark_stage("tune", adapter=str(adapter_dir), examples=info["examples"],
                   data_fingerprint=data_fp, steps=info["steps"], seconds=round(time.perf_counter() - started, 1),
                   seeds_left_out=left_out)
    return str(adapter_dir)
