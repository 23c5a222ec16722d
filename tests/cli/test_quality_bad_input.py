"""Bad quality settings: one line on stderr, exit 2, before anything is generated or curated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import generators.teachers
from germinate.cli import main


@pytest.fixture(autouse=True)
def no_teacher(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a bad quality setting must fail before any teacher is built")

    monkeypatch.setattr(generators.teachers, "make_teacher", refuse)


def _one_line_no_run(code: int, err: str, root: Path, needle: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("germinate: error: ") and needle in lines[0], lines[0]
    runs = root / "runs"
    assert not runs.exists() or not any(runs.iterdir())


@pytest.mark.parametrize("setting,needle", [
    ("curate.quality.reference_model=./no-such-model", "curate.quality.reference_model './no-such-model'"),
    ("curate.quality.reference_model=embedded:no-such-model", "unknown embedded model 'no-such-model'"),
    ("curate.quality.reference_model=nobody/no-such-model", "'nobody/no-such-model' cannot be loaded"),
    ("curate.quality.sparkle.enabled=true", "unknown config key 'curate.quality.sparkle'"),
    ("curate.quality.korean.max_unknown_share=2", "bad value for 'curate.quality.korean.max_unknown_share'"),
    ("curate.quality.ifd.max_ifd=0", "bad value for 'curate.quality.ifd.max_ifd'"),
    ("curate.quality.classifier.min_prob=2", "bad value for 'curate.quality.classifier.min_prob'"),
    ("curate.quality.classifier.weights=./no-probe.json", "curate.quality.classifier: no classifier weights at no-probe.json"),
    # The shipped probe reads gemma-3-270m's hidden states: another reference LM needs its own.
    ("curate.quality.reference_model=embedded:smollm2-135m-instruct",
     "no classifier ships for reference model 'embedded:smollm2-135m-instruct'"),
])
def test_run_refuses_bad_quality_settings(tmp_path, capsys, setting, needle):
    code = main(["run", "--data-root", str(tmp_path), "--set", setting])
    _one_line_no_run(code, capsys.readouterr().err, tmp_path, needle)


def test_curate_input_checks_the_reference_model_first(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"instruction": "Name a colour.", "input": "", "output": "Red."}) + "\n")
    code = main(["curate", "--input", str(data), "--data-root", str(tmp_path / "root"),
                 "--set", "curate.quality.reference_model=./no-such-model"])
    _one_line_no_run(code, capsys.readouterr().err, tmp_path / "root", "no-such-model")
