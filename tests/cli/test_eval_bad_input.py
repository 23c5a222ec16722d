"""Evaluation settings that cannot work: one line, exit 2, before generation (no run directory)."""

from __future__ import annotations

import json

from generators.serve import free_port
from germinate.cli import main


def _one_line_no_run(capsys, root, code, needle):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("germinate: error: "), err
    assert needle in lines[0] and "Traceback" not in err
    assert not (root / "runs").exists() or not any((root / "runs").iterdir())


def test_run_with_judge_win_rate_and_the_judge_off(tmp_path, capsys):
    code = main(["run", "--data-root", str(tmp_path), "--set", "evaluate.primary_metric=judge_win_rate"])
    _one_line_no_run(capsys, tmp_path, code, "primary_metric is judge_win_rate but the judge is off")


def test_run_with_constraint_accuracy_on_an_eval_set_without_constraints(tmp_path, capsys):
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"id": "e1", "instruction": "Name a colour.",
                                 "instances": [{"input": "", "output": "Red."}]}) + "\n")
    code = main(["run", "--data-root", str(tmp_path), "--set", f"evaluate.eval_set={plain}",
                 "--set", "evaluate.primary_metric=constraint_accuracy"])
    _one_line_no_run(capsys, tmp_path, code, "has constraints")


def test_run_with_a_judge_url_that_does_not_answer(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    code = main(["run", "--data-root", str(tmp_path), "--set", "evaluate.judge.backend=openai",
                 "--set", "evaluate.judge.model=judge", "--set", f"evaluate.judge.base_url={url}"])
    _one_line_no_run(capsys, tmp_path, code, f"judge unreachable at {url}")


def test_eval_with_a_judge_url_that_does_not_answer(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    code = main(["eval", "--data-root", str(tmp_path), "--set", "evaluate.judge.backend=openai",
                 "--set", "evaluate.judge.model=judge", "--set", f"evaluate.judge.base_url={url}"])
    _one_line_no_run(capsys, tmp_path, code, f"judge unreachable at {url}")


def test_judge_settings_without_a_judge_model(tmp_path, capsys):
    code = main(["run", "--data-root", str(tmp_path), "--set", "evaluate.judge.backend=openai"])
    _one_line_no_run(capsys, tmp_path, code, "judge.backend is set but judge.model is not")
