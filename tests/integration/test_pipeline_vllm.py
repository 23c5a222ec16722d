"""End to end with the real models: vLLM teacher -> curate -> LoRA student -> eval -> promote.

Training happens whatever curation keeps (`tune.skip_when_nothing_kept=false`: the pool plus
the seed tasks), so the test does not depend on what the 135M teacher writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.store import RunDir, read_jsonl_rows
from germinate.cli import main
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow


# 12 held-out items (6 English, 6 Korean, 11 with constraints): enough for the gate's interval.
EVAL_SMALL = Path(__file__).resolve().parents[1] / "data" / "eval_small.jsonl"


def test_run_generates_curates_tunes_and_evaluates(tmp_path, capsys):
    small = EVAL_SMALL
    # Small on purpose (the suite's longest test, ~9 min on 2 cores at 3 rounds and 10 steps):
    # two rounds, four LoRA steps, short answers. Whether the adapter is promoted is not
    # asserted, only that the decision follows the evidence; what training teaches is
    # tests/tuning/test_eos_after_lora.py's to show.
    code = main(["run", "--data-root", str(tmp_path), "--run-id", "night1",
                 "--set", "generate.num_instructions=6", "--set", "generate.requests_per_round=3",
                 "--set", "generate.max_rounds=2", "--set", "tune.max_steps=4", "--set", "tune.learning_rate=0.0005",
                 "--set", "tune.skip_when_nothing_kept=false",
                 "--set", f"evaluate.eval_set={small}", "--set", "evaluate.max_tokens=16"])
    out = capsys.readouterr()
    assert code == 0, out.err[-2000:]
    run = RunDir.open(tmp_path, "night1")
    assert run.status["status"] == "completed"
    candidates = read_jsonl_rows(run.file("candidates.jsonl"))
    ledger = read_ledger(run.file("ledger.parquet"))
    # The ledger invariant: kept + dropped = generated, every drop has a reason.
    assert [r.id for r in ledger] == [c["id"] for c in candidates]
    assert len(ledger) >= 3
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

    # Tuned, evaluated against the base (no champion yet), promoted only on evidence against it.
    assert (run.path / "adapter" / "adapter_model.safetensors").exists()
    result = json.loads(run.file("eval.json").read_text())
    assert set(result["scores"]) == {"base", "candidate"} and set(result["comparisons"]) == {"base"}
    assert result["judge"] == {"enabled": False, "model": None}  # off by default: the 135M teacher decides nothing
    rouge = result["comparisons"]["base"]["rouge_l"]
    print(f"\nnight1 vs base: ROUGE-L {rouge}, EOS {result['comparisons']['base']['eos_rate']}; "
          f"{result['decision']['reason']}")
    # Promoted exactly when the evidence says so: the lower bound of the paired CI above the
    # margin and no secondary regression (12 items: a small real night may or may not clear it).
    decision = result["decision"]
    (primary,) = [c for c in decision["checks"] if c["role"] == "primary"]
    assert primary["passed"] is (rouge["ci_low"] > 0), primary
    assert decision["promote"] is all(c["passed"] for c in decision["checks"]), decision
    registry = json.loads((tmp_path / "registry.json").read_text())
    assert "held-out eval" in out.out and "candidate vs base" in out.out
    if decision["promote"]:
        assert decision["reason"].startswith("candidate beats base by +") and "PROMOTED" in out.out
        assert registry["champion"]["run_id"] == "night1"
    else:
        assert decision["reason"].startswith("candidate does not clear base") and registry["champion"] is None
        # Make it the champion by hand, so the next evaluation has one to face.
        from evals import registry as reg

        entry = next(h for h in registry["history"] if h["run_id"] == "night1")
        reg.record(tmp_path, {k: v for k, v in entry.items() if k != "promoted"}, True)

    # A later evaluation compares against that champion.
    from core.config import EvalConfig, TeacherConfig
    from flows.evaluate import evaluate_flow

    again = evaluate_flow(EvalConfig(eval_set=small, max_tokens=16, judge=False), "embedded:gemma-3-270m",
                          TeacherConfig(), str(tmp_path), candidate=str(run.path / "adapter"), record=False)
    assert set(again["scores"]) == {"base", "champion", "candidate"}
    # Same adapter, same greedy decoding: it cannot beat itself, and its answers (and the
    # base's) come from the answer cache instead of being generated again.
    assert again["comparisons"]["champion"]["rouge_l"] == {"delta": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    assert again["decision"]["promote"] is False
    assert "does not clear champion night1" in again["decision"]["reason"]
    assert {m: again["models"][m]["answers"] for m in again["models"]} == {
        "base": "hit", "champion": "hit", "candidate": "hit"}

    # The run ended with the deciding deltas; the whole table is one command away.
    assert "germinate inspect night1 --eval" in out.out
    assert main(["inspect", "night1", "--eval", "--data-root", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "instruction-level" in table and "answer tokens" in table

    # inspect shows the counts and, per reason, samples.
    assert main(["inspect", "night1", "--data-root", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert f"{len(ledger)} candidates" in shown
