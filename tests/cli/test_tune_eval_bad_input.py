"""Bad input to tune/eval: one line, exit 2, registry untouched."""

from __future__ import annotations

import json

from core.config import PipelineConfig, dump_config
from core.models import resolve_model
from core.store import RunDir
from germinate.cli import main


def _one_line(capsys, needle: str) -> None:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("germinate: error: "), err
    assert needle in lines[0], lines[0]


def test_tune_refuses_an_empty_curated_set(tmp_path, capsys):
    run = RunDir.create(tmp_path, "empty", dump_config(PipelineConfig()), "pipeline")
    run.mark_stage("curate", generated=3, kept=0, dropped=3, drops_by_reason={"unparseable": 3})
    assert main(["tune", "empty", "--data-root", str(tmp_path)]) == 2
    _one_line(capsys, "kept no examples")
    assert not (tmp_path / "registry.json").exists()
    assert not run.file("adapter").exists()


def test_eval_refuses_an_adapter_of_another_base_model(tmp_path, capsys):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    teacher_model = resolve_model("embedded:smollm2-135m-instruct")
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": teacher_model,
                                                              "peft_type": "LORA", "r": 8}))
    assert main(["eval", "--adapter", str(adapter), "--data-root", str(tmp_path)]) == 2
    _one_line(capsys, "was trained on")
    assert not (tmp_path / "registry.json").exists()


def test_eval_refuses_an_eval_file_without_instances(tmp_path, capsys):
    bad = tmp_path / "eval.jsonl"
    bad.write_text(json.dumps({"id": "e1", "instruction": "Say hi.", "instances": []}) + "\n")
    assert main(["eval", "--eval-set", str(bad), "--data-root", str(tmp_path)]) == 2
    _one_line(capsys, "eval.jsonl:1: bad task field 'instances'")
    assert not (tmp_path / "registry.json").exists()


def test_eval_refuses_a_directory_that_is_no_adapter(tmp_path, capsys):
    assert main(["eval", "--adapter", str(tmp_path), "--data-root", str(tmp_path)]) == 2
    _one_line(capsys, "not a LoRA adapter directory")
