"""A Korean-only seed file with the defaults, for real: the embedded chat teacher's Korean is
broken Hangul, so Korean requests go to the embedded multilingual base model (gemma-3-270m),
which continues Self-Instruct's plain-text prompts through the in-process `vllm` backend.
One small run (`generate`, then `curate RUN`) shared by the assertions: an engine start costs
20-60 s on CPU. The rounds themselves are tested in tests/flows/test_generate_rounds.py."""

from __future__ import annotations

import json

import pytest

from core.language import detect_language
from core.paths import DEFAULT_SEEDS
from core.records import load_tasks
from core.store import RunDir, read_jsonl_rows
from germinate.cli import main
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("korean")
    korean = [t for t in load_tasks(DEFAULT_SEEDS) if detect_language(t.instruction) == "ko"]
    assert len(korean) >= 20
    seeds = root / "ko.jsonl"
    seeds.write_text("".join(json.dumps(t.model_dump(), ensure_ascii=False) + "\n" for t in korean), encoding="utf-8")
    code = main(["generate", "--data-root", str(root), "--seeds", str(seeds), "--n", "6",
                 "--set", "generate.requests_per_round=3", "--set", "generate.max_rounds=1",
                 "--set", "generate.instance_sampling.max_tokens=96"])
    assert code == 0
    (path,) = (root / "runs").iterdir()
    assert main(["curate", path.name, "--data-root", str(root)]) == 0
    return RunDir.open(root, path.name)


def test_korean_requests_go_to_the_base_model_as_lists_to_continue(run):
    requests = [r for r in read_jsonl_rows(run.file("requests.jsonl")) if r["stage"] == "instructions"]
    assert len(requests) == 3
    for r in requests:
        assert r["teacher_language"] == "ko"
        assert r["finish_reason"] in ("stop", "length") and r["completion_tokens"] > 0
        assert not r["text"].lstrip().startswith("{")  # plain text, not the chat mode's JSON


def test_the_base_model_writes_korean_tasks_from_korean_seeds(run):
    candidates = read_jsonl_rows(run.file("candidates.jsonl"))
    parsed = [c for c in candidates if c["instruction"]]
    assert parsed, [c["raw"] for c in candidates]
    assert sum(detect_language(c["instruction"]) == "ko" for c in parsed) >= len(parsed) / 2
    assert {c["meta"].get("teacher") for c in parsed if c["output"]} <= {"vllm:embedded:gemma-3-270m"}


def test_every_parsed_instruction_was_classified_and_given_an_instance_or_a_reason(run):
    candidates = read_jsonl_rows(run.file("candidates.jsonl"))
    stages = [r["stage"] for r in read_jsonl_rows(run.file("requests.jsonl"))]
    parsed = [c for c in candidates if c["instruction"]]
    # Base mode asks the classification question twice (forward and inverse).
    assert stages.count("classify") == 2 * len(parsed) and stages.count("instance") == len(parsed)
    for c in parsed:
        assert c["output"] or (c["parse_error"].startswith("instance: ") and c["raw"] is not None)


def test_korean_rows_are_not_dropped_for_their_script(run):
    rows = read_ledger(run.file("ledger.parquet"))
    hangul = [r for r in rows if r.instruction and detect_language(r.instruction) == "ko"]
    assert hangul, "the teacher produced no Korean instruction from Korean seeds"
    # Korean is an allowed language by default: none of them is dropped for language alone
    # because of its script (an English or garbled output can still be, and says so).
    for r in hangul:
        if "wrong_language" in r.reasons:
            assert detect_language(r.output) not in ("ko", None), (r.instruction, r.output)
