"""A run killed after the gate recorded it, but before its `evaluate` stage was marked done.

`germinate resume` then evaluates it again. The registry already names it champion, so the
second evaluation compares the candidate with itself, finds no improvement and records the
run as not promoted: the champion's own history entry says `promoted: false`, and eval.json
and status.json say the run was not promoted. Found by test_kill9.py (`promoted_flag_differs`).

The student's answers are faked (answer_task, heldout_losses, resolve_model, check_adapter are
replaced); the flow body, the gate and the registry are germinate's own code.
"""

from __future__ import annotations

import pytest

from core.config import EvalConfig, TeacherConfig
from core.paths import DEFAULT_EVAL_SET
from evals import gate


@pytest.fixture
def evaluate(monkeypatch, tmp_path):
    import flows.evaluate as fe
    import flows.evaluate_checks as fc
    from evals.answers import Answer

    items = fe.eval_items(DEFAULT_EVAL_SET)
    good = {"R"}  # adapters whose name is here answer with the reference, the others badly

    def answers(config, base_path, prompts, models):
        def text(adapter, item):
            if adapter is not None and adapter.name in good:
                return item["reference"]
            return item["reference"].split()[0] if adapter is not None else ""
        return {name: [Answer(text(adapter, it), "stop", 5) for it in items] for name, adapter in models.items()}

    monkeypatch.setattr(fe, "answer_task", answers)
    monkeypatch.setattr(fe, "heldout_losses", lambda base, convs, adapter: [(1.0, 1)] * len(convs))
    monkeypatch.setattr(fe, "resolve_model", lambda student: "/fake/base")
    monkeypatch.setattr(fe, "check_adapter", lambda adapter, base: None)
    monkeypatch.setattr(fc, "check_adapter", lambda adapter, base: None)
    cfg = EvalConfig(eval_set=DEFAULT_EVAL_SET, judge=False, primary_metric="rouge_l", margin=0.0)

    def run(run_id: str) -> dict:
        adapter = tmp_path / run_id
        adapter.mkdir(exist_ok=True)
        (adapter / "adapter_config.json").write_text(f'{{"name": "{run_id}"}}')
        return fe.evaluate_flow.fn(cfg, "fake-student", TeacherConfig(), str(tmp_path), candidate=str(adapter),
                                   run_id=run_id, out_path=str(tmp_path / f"{run_id}-eval.json"))

    return run


def test_first_evaluation_promotes_the_better_run(evaluate, tmp_path):
    assert evaluate("P")["decision"]["promote"]  # beats the base, which answers nothing
    assert evaluate("R")["decision"]["promote"]  # R answers with the references
    reg = gate.load(tmp_path)
    assert reg["champion"]["run_id"] == "R"
    assert [(h["run_id"], h["promoted"]) for h in reg["history"]] == [("P", True), ("R", True)]


def test_resumed_evaluation_keeps_the_recorded_decision(evaluate, tmp_path):
    evaluate("P")
    evaluate("R")  # promoted and recorded; killed here, before mark_stage("evaluate")
    again = evaluate("R")  # `germinate resume` runs the stage again
    reg = gate.load(tmp_path)
    entry = next(h for h in reg["history"] if h["run_id"] == "R")
    assert reg["champion"]["run_id"] == "R"
    assert entry["promoted"] is True, f"champion R's history entry says promoted=false: {entry['decision']}"
    assert again["decision"]["promote"] is True
