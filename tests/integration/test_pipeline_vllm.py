"""End to end with the real embedded teacher through the in-process vLLM engine."""

from __future__ import annotations

import json

import pytest

from germinate.cli import main
from germinate.outputs import read_ledger
from germinate.store import RunDir, read_jsonl_rows

pytestmark = pytest.mark.slow


def test_run_generates_and_curates_with_vllm(tmp_path, capsys):
    code = main(["run", "--data-root", str(tmp_path), "--run-id", "night1",
                 "--set", "generate.num_instructions=6", "--set", "generate.requests_per_round=4",
                 "--set", "generate.max_rounds=3"])
    out = capsys.readouterr()
    assert code == 0, out.err[-2000:]
    run = RunDir.open(tmp_path, "night1")
    assert run.status["status"] == "completed"
    candidates = read_jsonl_rows(run.file("candidates.jsonl"))
    ledger = read_ledger(run.file("ledger.parquet"))
    # The ledger invariant: kept + dropped = generated, every drop has a reason.
    assert [r.id for r in ledger] == [c["id"] for c in candidates]
    assert len(ledger) >= 6
    assert all(r.reasons for r in ledger if r.verdict == "dropped")
    assert all(not r.reasons for r in ledger if r.verdict == "kept")
    kept = [r for r in ledger if r.verdict == "kept"]
    data = read_jsonl_rows(run.file("data.jsonl"))
    assert [d["id"] for d in data] == [r.id for r in kept]
    assert len(json.loads(run.file("alpaca.json").read_text())) == len(kept)
    # Real teacher output, with provenance and token counts per request.
    requests = read_jsonl_rows(run.file("requests.jsonl"))
    assert requests and all(r["completion_tokens"] > 0 for r in requests)
    assert {r["stage"] for r in requests} >= {"instructions", "classify", "instance"}
    card = run.file("README.md").read_text()
    assert "Drops per reason" in card and "vllm:embedded:smollm2-135m-instruct" in card
    assert "run directory" in out.out

    # inspect shows the counts and, per reason, samples.
    assert main(["inspect", "night1", "--data-root", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert f"{len(ledger)} candidates" in shown
