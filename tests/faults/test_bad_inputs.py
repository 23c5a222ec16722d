"""Bad input of every kind: one line on stderr naming the problem, exit code 2, no traceback,
and nothing written: no run directory, the pool, registry and every other file of the data
root as they were (only the library log may grow).

Each case fails before any engine starts: the teacher is the preflight's last check, and
`make_teacher` is made to refuse so a case that got that far fails loudly.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import pytest

import generators.teachers
from core.console_logging import LOG_NAME
from germinate.cli import main

TASK = {"id": "t1", "name": "colour", "instruction": "Name a colour.",
        "instances": [{"input": "", "output": "Red."}], "is_classification": False}
TASK_KO = {**TASK, "id": "t2", "name": "색", "instruction": "색깔 하나를 말하세요.",
           "instances": [{"input": "", "output": "빨강."}]}


@pytest.fixture(autouse=True)
def no_teacher(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("bad input must fail before any teacher is built")

    monkeypatch.setattr(generators.teachers, "make_teacher", refuse)


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in rows), encoding="utf-8")
    return path


def _root(tmp: Path) -> Path:
    """A data root with a pool, a registry and one finished run, as after a night."""
    root = tmp / "root"
    (root / "pool").mkdir(parents=True)
    _jsonl(root / "pool" / "pool.jsonl", [{"id": "old-1", "run_id": "old", "instruction": "x"}])
    (root / "registry.json").write_text('{"champion": null, "entries": []}\n', encoding="utf-8")
    run = root / "runs" / "old"
    run.mkdir(parents=True)
    (run / "status.json").write_text(json.dumps({"run_id": "old", "kind": "pipeline", "status": "completed",
                                                 "stages": {}}), encoding="utf-8")
    (run / "config.yaml").write_text("{}\n", encoding="utf-8")
    return root


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under the data root with its content hash, except the libraries' log."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != LOG_NAME and not p.name.endswith(".lock")}


def _config(tmp: Path, data: bytes) -> Path:
    path = tmp / "germinate.yaml"
    path.write_bytes(data)
    return path


def _corrupt_status(tmp: Path, root: Path) -> str:
    (root / "runs" / "old" / "status.json").write_text('{"run_id": "old", "kind": ', encoding="utf-8")
    return "old"


# (name, argv builder (tmp, root) -> args after the command's data root is added, expected fragment)
Case = tuple[str, Callable[[Path, Path], list[str]], str]
CASES: list[Case] = [
    # config files
    ("config missing", lambda t, r: ["run", "-c", str(t / "nope.yaml")], "config file not found"),
    ("config not YAML", lambda t, r: ["run", "-c", str(_config(t, b"generate: [1,\n  x: }\n"))], "not valid YAML at line"),
    ("config CP949", lambda t, r: ["run", "-c", str(_config(t, "# 설정\ngenerate: {}\n".encode("cp949")))],
     "not UTF-8 text"),
    ("config UTF-16", lambda t, r: ["run", "-c", str(_config(t, "# 설정\ngenerate: {}\n".encode("utf-16")))],
     "not UTF-8 text (byte 0xff at offset 0)"),
    ("config a list", lambda t, r: ["run", "-c", str(_config(t, b"- generate\n"))], "expected a mapping of sections"),
    ("config unknown section", lambda t, r: ["run", "-c", str(_config(t, b"generation: {}\n"))],
     "unknown config key 'generation'"),
    # --set
    ("set without =", lambda t, r: ["run", "--set", "generate.num_instructions"], "--set expects key=value"),
    ("set unknown key", lambda t, r: ["run", "--set", "generate.nonsense=1"], "unknown config key 'generate.nonsense'"),
    ("set out of range", lambda t, r: ["run", "--set", "generate.num_instructions=0"],
     "bad value for 'generate.num_instructions'"),
    ("set into a value", lambda t, r: ["run", "--set", "tune.seed=1", "--set", "tune.seed.x=1"],
     "cannot set 'tune.seed.x': 'seed' is not a section"),
    ("set bad choice", lambda t, r: ["run", "--set", "tune.loss_on=절반"], "bad value for 'tune.loss_on'"),
    ("set wrong type", lambda t, r: ["run", "--set", "tune.lora.r=[1, 2]"], "bad value for 'tune.lora.r'"),
    # seeds
    ("seeds missing", lambda t, r: ["run", "--set", f"generate.seeds={t / 'none.jsonl'}"], "file not found"),
    ("seeds empty", lambda t, r: ["run", "--set", f"generate.seeds={_jsonl(t / 's.jsonl', [])}"],
     "no seed tasks in file"),
    ("seeds bad JSON line", lambda t, r: ["run", "--set", f"generate.seeds={_jsonl(t / 's.jsonl', [TASK, '{oops'])}"],
     "s.jsonl:2: malformed JSON"),
    ("seeds missing field", lambda t, r: ["run", "--set", "generate.seeds="
                                          f"{_jsonl(t / 's.jsonl', [TASK_KO, {'id': 'x', 'name': 'n'}])}"],
     "s.jsonl:2: bad task field"),
    ("generate --seeds missing", lambda t, r: ["generate", "--seeds", str(t / "none.jsonl")], "file not found"),
    # eval sets
    ("eval set missing", lambda t, r: ["run", "--set", f"evaluate.eval_set={t / 'typo.jsonl'}"], "file not found"),
    ("eval constraint type", lambda t, r: ["run", "--set", "evaluate.eval_set="
                                           f"{_jsonl(t / 'e.jsonl', [{**TASK, 'constraints': [{'type': 'sparkle'}]}])}"],
     "unknown constraint type 'sparkle'"),
    ("decontamination set missing", lambda t, r: ["run", "--set", f"curate.decontamination.eval_set={t / 'no.jsonl'}"],
     "file not found"),
    ("judge metric, judge off", lambda t, r: ["run", "--set", "evaluate.primary_metric=judge_win_rate",
                                              "--set", "evaluate.judge.enabled=false"], "the judge is off"),
    # models
    ("student embedded typo", lambda t, r: ["run", "--set", "tune.student=embedded:typo"],
     "tune.student 'embedded:typo': unknown embedded model 'typo'"),
    ("student not cached", lambda t, r: ["run", "--set", "tune.student=nobody/no-such-model"],
     "tune.student 'nobody/no-such-model' cannot be loaded: neither a local model directory nor in the Hugging Face cache"),
    ("student path missing", lambda t, r: ["run", "--set", "tune.student=./no-such-dir"], "model path does not exist"),
    ("student under an unknown user's home", lambda t, r: ["run", "--set", "tune.student=~no-such-user-7/m"],
     "model path does not exist: ~no-such-user-7/m"),
    ("lora rank over engine", lambda t, r: ["run", "--set", "tune.lora.r=16", "--set", "evaluate.backend=vllm"],
     "tune.lora.r=16 is above the rank the vLLM student engine takes (max_lora_rank 8)"),
    ("teacher context too long", lambda t, r: ["run", "--set", "generate.teacher.max_model_len=100000"],
     "generate.teacher.max_model_len=100000 is larger than embedded:smollm2-135m-instruct's context (8192 tokens"),
    ("teacher embedded typo", lambda t, r: ["generate", "--set", "generate.teacher.model=embedded:typo"],
     "unknown embedded model 'typo'"),
    ("Korean's teacher missing", lambda t, r: ["generate", "--set", "generate.language_teachers.ko.model=./gone"],
     "generate.language_teachers.ko.model './gone'"),
    ("language teacher code unknown", lambda t, r: ["generate", "--set", "generate.language_teachers.kr.mode=base"],
     "unknown language code 'kr'; did you mean 'ko'?"),
    ("reference model missing", lambda t, r: ["run", "--set", "curate.quality.reference_model=./gone"],
     "curate.quality.reference_model './gone'"),
    # CLI arguments
    ("unknown command", lambda t, r: ["grow"], "No such command 'grow'"),
    ("unknown option", lambda t, r: ["run", "--sparkle"], "No such option: --sparkle"),
    ("generate --n not a number", lambda t, r: ["generate", "--n", "많이"], "Invalid value for '--n'"),
    ("generate --n zero", lambda t, r: ["generate", "--n", "0"], "bad value for 'generate.num_instructions'"),
    ("curate neither run nor input", lambda t, r: ["curate"], "give either a RUN to curate or --input FILE"),
    ("curate bad format", lambda t, r: ["curate", "--input", str(_jsonl(t / "d.jsonl", [TASK])), "--format", "csv"],
     "--format must be one of"),
    ("resume unknown run", lambda t, r: ["resume", "n1-b"], "no such run: n1-b"),
    ("tune unknown run", lambda t, r: ["tune", "nope"], "no such run: nope"),
    ("tune uncurated run", lambda t, r: ["tune", "old"], "run old is not curated yet"),
    # files on disk
    ("status.json corrupt", lambda t, r: ["resume", _corrupt_status(t, r)],
     "status.json is damaged (not valid JSON at line 1"),
    ("runs is a file", lambda t, r: (_runs_file(r), ["run"])[1], "is a file, not a directory"),
]


def _runs_file(root: Path) -> None:
    import shutil

    shutil.rmtree(root / "runs")
    (root / "runs").write_text("not a directory", encoding="utf-8")


def test_enough_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize("build,needle", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, build, needle):
    root = _root(tmp_path)
    args = build(tmp_path, root)
    before = _snapshot(root)
    code = main([*args, "--data-root", str(root)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("germinate: error: ") and needle in lines[0], lines[0]
    if os.environ.get("GERMINATE_BAD_INPUT_TABLE"):  # the README's table is written from this
        with open(os.environ["GERMINATE_BAD_INPUT_TABLE"], "a", encoding="utf-8") as f:
            shown = " ".join(a.replace(str(tmp_path), "…") for a in args)
            f.write(json.dumps({"args": shown, "line": lines[0].replace(str(tmp_path), "…")},
                               ensure_ascii=False) + "\n")
    assert _snapshot(root) == before
    runs = root / "runs"
    assert not runs.is_dir() or sorted(p.name for p in runs.iterdir() if p.name != ".lock") == ["old"]
