"""Bad input: one line on stderr, exit code 2, and no run directory left behind."""

from __future__ import annotations

import json
from pathlib import Path

from generators.serve import free_port
from germinate.cli import main


def _run(capsys, root: Path, *args: str) -> tuple[int, str]:
    code = main(["run", "--data-root", str(root), *args])
    err = capsys.readouterr().err
    return code, err


def _assert_one_line_no_run(code: int, err: str, root: Path, needle: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("germinate: error: ")
    assert needle in lines[0]
    assert "Traceback" not in err
    runs = root / "runs"
    assert not runs.exists() or not any(runs.iterdir())


def test_missing_seeds_file(tmp_path, capsys):
    code, err = _run(capsys, tmp_path, "--set", f"generate.seeds={tmp_path / 'nope.jsonl'}")
    _assert_one_line_no_run(code, err, tmp_path, "nope.jsonl")


def test_malformed_jsonl_line_is_named(tmp_path, capsys):
    seeds = tmp_path / "seeds.jsonl"
    good = {"id": "a", "instruction": "Say hi.", "instances": [{"input": "", "output": "hi"}]}
    seeds.write_text(json.dumps(good) + "\n" + json.dumps(dict(good, id="b")) + "\n{oops\n")
    code, err = _run(capsys, tmp_path, "--set", f"generate.seeds={seeds}")
    _assert_one_line_no_run(code, err, tmp_path, "seeds.jsonl:3: malformed JSON")


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "germinate.yaml"
    cfg.write_text("generate:\n  teacher:\n    modle: x\n")
    code, err = _run(capsys, tmp_path, "--config", str(cfg))
    _assert_one_line_no_run(code, err, tmp_path, "unknown config key 'generate.teacher.modle'")


def test_bad_config_value(tmp_path, capsys):
    code, err = _run(capsys, tmp_path, "--set", "generate.num_instructions=-3")
    _assert_one_line_no_run(code, err, tmp_path, "generate.num_instructions")


def test_unreachable_teacher_url(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    code, err = _run(capsys, tmp_path, "--set", "generate.teacher.backend=openai",
                     "--set", f"generate.teacher.base_url={url}")
    _assert_one_line_no_run(code, err, tmp_path, f"teacher unreachable at {url}")


def test_unknown_cli_option(tmp_path, capsys):
    code, err = _run(capsys, tmp_path, "--frobnicate")
    _assert_one_line_no_run(code, err, tmp_path, "--frobnicate")


def test_curate_input_bad_line(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text('{"instruction": "Say hi.", "input": "", "output": "hi"}\nnot json\n')
    code = main(["curate", "--input", str(data), "--data-root", str(tmp_path)])
    err = capsys.readouterr().err
    _assert_one_line_no_run(code, err, tmp_path, "data.jsonl:2: malformed JSON")


def test_inspect_unknown_run(tmp_path, capsys):
    code = main(["inspect", "nope", "--data-root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "no such run: nope" in err
