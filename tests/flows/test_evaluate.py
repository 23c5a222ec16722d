"""The evaluate flow's gate, registry and answer cache, with the student's answers faked.

`answer_task`, `heldout_losses`, `resolve_model` and `check_adapter` are replaced (no model
loads); the flow body, the metrics, the bootstrap, the gate, the registry and the answer cache
are germinate's own code. Adapters are directories named after how well they answer: "good*"
answers with the reference, "bad*" with nothing, others with the reference's first word. The
real models run the same flow in tests/integration/test_kill_resume_real.py (night 1).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.config import EvalConfig, TeacherConfig
from evals import gate
from evals.answers import Answer

EVAL_SMALL = Path(__file__).resolve().parents[1] / "data" / "eval_small.jsonl"


def _text(adapter: Path | None, item: dict) -> str:
    if adapter is None:
        return item["reference"].split()[0]
    if adapter.name.startswith("good"):
        return item["reference"]
    if adapter.name.startswith("bad"):
        return "no"
    return item["reference"].split()[0]


@pytest.fixture
def env(monkeypatch, tmp_path):
    import flows.evaluate as fe
    import flows.evaluate_checks as fc

    items = fe.eval_items(EVAL_SMALL)
    calls: list[list[str]] = []

    def answers(config, base_path, prompts, models):
        calls.append(sorted(models))
        return {name: [Answer(_text(adapter, it), "stop", len(_text(adapter, it).split())) for it in items]
                for name, adapter in models.items()}

    monkeypatch.setattr(fe, "answer_task", answers)
    monkeypatch.setattr(fe, "heldout_losses", lambda base, convs, adapter: [(1.0, 1)] * len(convs))
    monkeypatch.setattr(fe, "resolve_model", lambda student: "/fake/base")
    monkeypatch.setattr(fe, "check_adapter", lambda adapter, base: None)
    monkeypatch.setattr(fc, "check_adapter", lambda adapter, base: None)

    def adapter(name: str) -> Path:
        path = tmp_path / "adapters" / name
        path.mkdir(parents=True, exist_ok=True)
        (path / "adapter_config.json").write_text(json.dumps({"name": name}))
        return path

    def run(run_id: str, adapter_name: str | None, **config) -> dict:
        cfg = EvalConfig(eval_set=EVAL_SMALL, **config)
        cand = str(adapter(adapter_name)) if adapter_name else None
        return fe.evaluate_flow.fn(cfg, "fake-student", TeacherConfig(), str(tmp_path / "data"), candidate=cand,
                                   run_id=run_id if cand else None, out_path=str(tmp_path / f"{run_id}.json"),
                                   record=cand is not None)

    return {"run": run, "calls": calls, "root": tmp_path / "data", "adapter": adapter}


def test_first_candidate_faces_the_base_and_is_promoted_only_if_it_beats_it(env):
    worse = env["run"]("n1", "bad1")
    assert set(worse["comparisons"]) == {"base"} and "champion" not in worse["scores"]
    assert worse["decision"]["promote"] is False
    assert worse["decision"]["reason"].startswith("candidate does not clear base: ")
    assert gate.load(env["root"])["champion"] is None
    better = env["run"]("n2", "good1")
    assert better["decision"]["promote"] is True
    assert better["decision"]["reason"].startswith("candidate beats base by +")
    assert gate.load(env["root"])["champion"]["run_id"] == "n2"


def test_second_candidate_faces_base_and_champion(env):
    assert env["run"]("n1", "mid1")["decision"]["promote"] is False  # says what the base says
    env["run"]("n2", "good1")
    third = env["run"]("n3", "good2")  # answers exactly as the champion does
    assert set(third["scores"]) == {"base", "champion", "candidate"}
    assert set(third["comparisons"]) == {"base", "champion"}
    vs_champion = third["comparisons"]["champion"]["rouge_l"]
    assert vs_champion == {"delta": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    assert third["comparisons"]["base"]["rouge_l"]["ci_low"] > 0
    assert third["decision"]["promote"] is False
    assert "does not clear champion n2: +0.000 ROUGE-L" in third["decision"]["reason"]
    assert "(it beats base by +" in third["decision"]["reason"]
    assert third["decision"]["opponents"] == ["base", "champion n2"]
    on_disk = json.loads(Path(env["root"]).parent.joinpath("n3.json").read_text())
    assert on_disk["decision"] == third["decision"] and on_disk["intervals"]["candidate"]["rouge_l"]
    rows = [json.loads(line) for line in Path(env["root"]).parent.joinpath("eval_answers.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and set(rows[0]) >= {"id", "prompt", "reference", "base", "champion", "candidate"}


def test_missing_champion_is_reported_and_the_candidate_faces_the_base_only(env):
    env["run"]("n1", "good1")
    shutil.rmtree(env["adapter"]("good1"))
    result = env["run"]("n2", "mid1")
    assert result["champion_missing"].startswith("champion n1 could not be loaded (its adapter directory ")
    assert "does not exist" in result["champion_missing"]
    assert set(result["comparisons"]) == {"base"} and "champion" not in result["scores"]
    # mid1 says what the base says: no evidence, no promotion, the registry keeps its champion.
    assert result["decision"]["promote"] is False
    assert result["decision"]["reason"].startswith("champion n1 could not be loaded")
    assert gate.load(env["root"])["champion"]["run_id"] == "n1"
    # A candidate that does beat the base replaces the unloadable champion.
    again = env["run"]("n3", "good3")
    assert again["decision"]["promote"] is True and gate.load(env["root"])["champion"]["run_id"] == "n3"


def test_champion_of_another_base_model_is_reported(env, monkeypatch):
    import flows.evaluate_checks as fc
    from core.errors import GerminateError

    env["run"]("n1", "good1")

    def refuse(adapter, base):
        raise GerminateError(f"adapter {adapter} was trained on /other/base, not on {base}")

    monkeypatch.setattr(fc, "check_adapter", refuse)
    result = env["run"]("n2", "good2")
    assert "could not be loaded (adapter " in result["champion_missing"]
    assert "was trained on /other/base" in result["champion_missing"]


def test_base_and_champion_answers_come_from_the_cache(env):
    env["run"]("n1", "good1")
    env["run"]("n2", "good2")
    third = env["run"]("n3", "good3")
    # Night 1 answered base + candidate; nights 2 and 3 only their candidates: the base is
    # cached, and so is the champion (night 1's candidate), cached when it was one.
    assert env["calls"] == [["base", "candidate"], ["candidate"], ["candidate"]]
    assert third["models"]["base"]["answers"] == "hit" and third["models"]["champion"]["answers"] == "hit"
    assert third["models"]["candidate"]["answers"] == "miss"
    off = env["run"]("n4", "good4", cache_answers=False)
    assert env["calls"][-1] == ["base", "candidate", "champion"] and off["models"]["base"]["answers"] == "off"


def test_a_cache_entry_is_keyed_by_the_adapter_content(env):
    env["run"]("n1", "good1")
    (env["adapter"]("good1") / "adapter_config.json").write_text('{"changed": true}')
    env["run"]("n2", "good2")
    assert env["calls"][-1] == ["candidate", "champion"]  # the champion's adapter changed: recomputed


def test_secondary_regression_blocks_an_otherwise_better_candidate(env, monkeypatch):
    import flows.evaluate as fe

    real = fe.answer_task

    def no_eos(config, base_path, prompts, models):
        out = real(config, base_path, prompts, models)
        out.setdefault("candidate", [])
        out["candidate"] = [Answer(a.text, "length", a.tokens) for a in out["candidate"]]
        return out

    monkeypatch.setattr(fe, "answer_task", no_eos)
    result = env["run"]("n1", "good1")
    assert result["comparisons"]["base"]["rouge_l"]["ci_low"] > 0
    assert result["decision"]["promote"] is False
    assert "EOS rate -1.000 vs base regresses beyond tolerance 0.05" in result["decision"]["reason"]


def test_eval_without_candidate_compares_the_champion_with_the_base(env):
    env["run"]("n1", "good1")
    result = env["run"]("look", None)
    assert result["subject"] == "champion" and set(result["comparisons"]) == {"base"}
    assert "decision" not in result
    assert result["judge"] == {"enabled": False, "model": None}


class ScriptedJudge:
    """Prefers the answer that equals the reference, wherever it is shown (in both orders)."""

    def __init__(self, references: set[str]) -> None:
        self.references = references
        self.prompts = 0

    def complete(self, batch, sampling, seeds, schema=None):
        from generators.teacher_types import Completion

        out = []
        for messages in batch:
            text = messages[0]["content"]
            a = text.split("[Answer A]\n", 1)[1].split("\n[End of Answer A]", 1)[0]
            b = text.split("[Answer B]\n", 1)[1].split("\n[End of Answer B]", 1)[0]
            winner = "tie" if (a in self.references) == (b in self.references) else "A" if a in self.references else "B"
            out.append(Completion(json.dumps({"winner": winner}), "stop", 10, 5))
        self.prompts += len(batch)
        return out


def test_judge_outcomes_per_opponent_and_judge_win_rate_as_primary(env, monkeypatch):
    import flows.evaluate as fe

    judge = ScriptedJudge({it["reference"] for it in fe.eval_items(EVAL_SMALL)})
    monkeypatch.setattr(fe, "get_teacher", lambda cfg: judge)
    monkeypatch.setattr(fe, "judge_task", fe.judge_task.fn)  # the task's body, without a Prefect server
    config = {"judge": {"model": "scripted", "backend": "openai"}, "primary_metric": "judge_win_rate"}
    first = env["run"]("n1", "good1", **config)
    verdict = first["judge"]["base"]
    assert first["judge"]["enabled"] and first["judge"]["model"] == "openai:scripted"
    # The base answers the first word: only one-word references equal it (ties), the rest are wins.
    assert verdict["counts"]["loss"] == verdict["counts"]["split"] == verdict["counts"]["undecided"] == 0
    assert verdict["counts"]["win"] + verdict["counts"]["tie"] == 12 and verdict["counts"]["win"] >= 8
    assert verdict["decided"] == 12 and verdict["win_rate"] > 0.8 and verdict["lc_win_rate"] is not None
    assert first["comparisons"]["base"]["judge_win_rate"]["delta"] == pytest.approx(verdict["win_rate"] - 0.5)
    assert first["decision"]["promote"] is True and "judge win rate" in first["decision"]["reason"]
    assert gate.load(env["root"])["champion"]["scores"]["judge_win_rate"] == verdict["win_rate"]
    assert judge.prompts == 24  # both orders of 12 items
    # The next candidate is judged against the base AND the champion.
    second = env["run"]("n2", "good2", **config)
    assert set(second["judge"]) == {"enabled", "model", "base", "champion"}
    assert second["judge"]["champion"]["counts"]["tie"] == 12 and second["judge"]["champion"]["win_rate"] == 0.5
    assert second["decision"]["promote"] is False
    assert judge.prompts == 24 + 48
