"""`tune` reuses an adapter only when it was trained with the settings asked for now, and runs
made by `curate --input` / `refilter` train on their own rows. Training itself is replaced by a
stand-in that records what it was given and writes the adapter's record as `train` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flows.tune as ft
from core.config import PipelineConfig, TuneConfig, dump_config
from core.store import RunDir, atomic_write_jsonl
from germinate.cli import main
from tuning.train import config_fingerprint, settings_changes

ROW = {"id": "r1-0", "messages": [{"role": "user", "content": "인사해 주세요."}, {"role": "assistant", "content": "안녕하세요."}]}


@pytest.fixture
def trained(monkeypatch) -> list[TuneConfig]:
    calls: list[TuneConfig] = []

    def fake_train(config, model_path, rows, adapter_dir, fingerprint):
        calls.append(config)
        Path(adapter_dir).mkdir(exist_ok=True)
        (Path(adapter_dir) / "adapter_config.json").write_text("{}")
        info = {"steps": 1, "examples": len(rows), "train_runtime_s": 0.0, "loss_curve": [{"step": 1, "loss": 1.0}],
                "rows": [r["id"] for r in rows], "config": config.model_dump(mode="json")}
        (Path(adapter_dir) / "germinate_adapter.json").write_text(json.dumps(info))
        return info

    monkeypatch.setattr(ft, "train_task", fake_train)
    monkeypatch.setattr(ft, "resolve_model", lambda name: "/fake")
    return calls


def _run(root: Path, kind: str = "pipeline", run_id: str = "r1") -> RunDir:
    run = RunDir.create(root, run_id, dump_config(PipelineConfig()), kind)
    atomic_write_jsonl(run.file("data.jsonl"), [ROW])
    return run


def test_same_settings_reuse_the_adapter_other_settings_retrain(tmp_path, trained):
    run = _run(tmp_path)
    base = TuneConfig(data="run", include_seeds=False)
    ft.tune_flow.fn(base, str(tmp_path), "r1")
    run.mark_stage("evaluate", score=0.5)
    ft.tune_flow.fn(base, str(tmp_path), "r1")
    ft.tune_flow.fn(base.model_copy(update={"skip_when_nothing_kept": False}), str(tmp_path), "r1")
    assert len(trained) == 1  # neither call trained again
    assert ft.adapter_changes(run, base.model_copy(update={"loss_on": "full"})) == ["loss_on: response -> full"]
    ft.tune_flow.fn(base.model_copy(update={"loss_on": "full"}), str(tmp_path), "r1")
    assert [c.loss_on for c in trained] == ["response", "full"]
    # The old adapter's evaluation no longer describes the adapter on disk.
    assert "evaluate" not in run.status["stages"] and run.stage_done("tune")


def test_settings_changes_name_nested_keys_and_ignore_the_skip_switch():
    old = TuneConfig().model_dump(mode="json")
    new = TuneConfig(lora={"r": 4}, skip_when_nothing_kept=False)
    assert settings_changes(old, new) == ["lora.r: 8 -> 4"]
    assert settings_changes(None, new) == []
    assert config_fingerprint(TuneConfig()) == config_fingerprint(TuneConfig(skip_when_nothing_kept=False))
    assert config_fingerprint(TuneConfig()) != config_fingerprint(new)


@pytest.mark.parametrize("kind,told,expected", [
    ("curate", False, "run"), ("refilter", False, "run"), ("curate", True, "pool"),
    ("pipeline", False, "pool"), ("generate", False, "pool"),
])
def test_own_rows_for_curate_and_refilter_runs(kind, told, expected):
    assert ft.data_for_kind(TuneConfig(data="pool"), kind, told).data == expected


def test_cli_tunes_a_curate_run_on_its_rows_and_retrains_on_new_settings(tmp_path, trained, capsys):
    run = _run(tmp_path, kind="curate", run_id="curate-x")
    run.mark_stage("curate", kept=1)
    # The nightly pool holds another run's row: a curate run must not train on it.
    atomic_write_jsonl(tmp_path / "pool" / "pool.jsonl", [{"id": "n1-0", "run_id": "n1", "instruction": "x",
                                                           "input": "", "output": "y"}])
    args = ["tune", "curate-x", "--data-root", str(tmp_path), "--set", "tune.include_seeds=false"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "is a 'curate' run: training on its own data.jsonl" in out
    assert json.loads((run.file("adapter") / "germinate_adapter.json").read_text())["rows"] == ["r1-0"]
    assert main(args + ["--set", "tune.max_steps=5"]) == 0
    assert "tune: retraining, the adapter was trained with other settings (max_steps: 30 -> 5)" in capsys.readouterr().out
    assert [c.max_steps for c in trained] == [30, 5]
    assert main(args + ["--set", "tune.data=pool"]) == 0  # told: the pool it is
    assert trained[-1].data == "pool"
    assert json.loads((run.file("adapter") / "germinate_adapter.json").read_text())["rows"] == ["n1-0"]
