"""Tuning never trains on a seed task that overlaps the eval set (the curated data was
decontaminated, the seeds were not). Training itself is replaced: only the rows are checked."""

from __future__ import annotations

import json
from pathlib import Path

from core.config import PipelineConfig, TuneConfig, dump_config
from core.store import RunDir, atomic_write_jsonl

EVAL_SMALL = Path(__file__).resolve().parents[1] / "data" / "eval_small.jsonl"


def test_seeds_overlapping_the_eval_set_are_left_out_and_recorded(tmp_path, monkeypatch):
    import flows.tune as ft

    evals = [json.loads(line) for line in EVAL_SMALL.read_text(encoding="utf-8").splitlines()]
    seeds = tmp_path / "seeds.jsonl"
    mine = {"id": "mine", "instruction": "Name a primary colour.", "instances": [{"input": "", "output": "Red."}]}
    seeds.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in [mine, dict(evals[0], id="copied")]) + "\n")
    run = RunDir.create(tmp_path, "r1", dump_config(PipelineConfig()), "pipeline")
    atomic_write_jsonl(run.file("data.jsonl"), [{"id": "r1-0", "messages": [
        {"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi."}]}])
    trained: list = []

    def fake_train(config, model_path, rows, adapter_dir, fingerprint):
        trained.extend(rows)
        Path(adapter_dir).mkdir()
        (Path(adapter_dir) / "adapter_config.json").write_text("{}")
        return {"steps": 1, "examples": len(rows), "train_runtime_s": 0.0, "loss_curve": [{"step": 1, "loss": 1.0}]}

    monkeypatch.setattr(ft, "train_task", fake_train)
    monkeypatch.setattr(ft, "resolve_model", lambda name: "/fake")
    ft.tune_flow.fn(TuneConfig(data="run"), str(tmp_path), "r1", seeds=str(seeds), eval_set=str(EVAL_SMALL))
    assert [r["id"] for r in trained] == ["r1-0", "seed:mine"]
    assert RunDir(tmp_path, "r1").status["stages"]["tune"]["seeds_left_out"] == {"copied": evals[0]["id"]}
