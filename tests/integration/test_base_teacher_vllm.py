"""Base mode for real: the embedded student base (gemma-3-270m) continues Self-Instruct's plain-text
prompts through the in-process `vllm` backend, from Korean seeds. One small run shared by the
assertions (an engine start costs 20-60 s on CPU)."""

from __future__ import annotations

import json

import pytest

from core.language import detect_language
from core.paths import DEFAULT_SEEDS
from core.records import load_tasks
from core.store import RunDir, read_jsonl_rows
from germinate.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("base")
    korean = [t for t in load_tasks(DEFAULT_SEEDS) if detect_language(t.instruction) == "ko"]
    seeds = root / "ko.jsonl"
    seeds.write_text("".join(json.dumps(t.model_dump(), ensure_ascii=False) + "\n" for t in korean), encoding="utf-8")
    code = main(["generate", "--data-root", str(root), "--seeds", str(seeds), "--n", "4",
                 "--set", "generate.teacher.backend=vllm", "--set", "generate.teacher.model=embedded:gemma-3-270m",
                 "--set", "generate.teacher.mode=base", "--set", "generate.requests_per_round=2",
                 "--set", "generate.max_rounds=1", "--set", "generate.instance_sampling.max_tokens=96"])
    assert code == 0
    (path,) = (root / "runs").iterdir()
    return RunDir.open(root, path.name)


def test_instruction_requests_continue_a_numbered_list(run):
    requests = [r for r in read_jsonl_rows(run.file("requests.jsonl")) if r["stage"] == "instructions"]
    assert len(requests) == 2
    for r in requests:
        assert r["finish_reason"] in ("stop", "length") and r["completion_tokens"] > 0
        assert not r["text"].lstrip().startswith("{")  # plain text, not the chat mode's JSON


def test_the_base_model_writes_korean_tasks_from_korean_seeds(run):
    candidates = read_jsonl_rows(run.file("candidates.jsonl"))
    parsed = [c for c in candidates if c["instruction"]]
    assert parsed, [c["raw"] for c in candidates]
    assert sum(detect_language(c["instruction"]) == "ko" for c in parsed) >= len(parsed) / 2


def test_every_parsed_instruction_was_classified_and_given_an_instance_or_a_reason(run):
    candidates = read_jsonl_rows(run.file("candidates.jsonl"))
    stages = [r["stage"] for r in read_jsonl_rows(run.file("requests.jsonl"))]
    parsed = [c for c in candidates if c["instruction"]]
    # Base mode asks the classification question twice (forward and inverse).
    assert stages.count("classify") == 2 * len(parsed) and stages.count("instance") == len(parsed)
    for c in parsed:
        assert c["output"] or (c["parse_error"].startswith("instance: ") and c["raw"] is not None)
