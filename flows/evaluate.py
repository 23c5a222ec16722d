"""Prefect flow `evaluate`: base vs champion vs candidate on the held-out set, then the gate.

All three answer the same items with the same greedy decoding. Metrics (pure functions in
`evals/`): IFEval-style constraint accuracy, ROUGE-L against the references, held-out loss,
the share of answers that end with EOS, and the teacher's pairwise judgement of candidate vs
champion in both orders. The candidate replaces the champion only if its primary metric beats
the champion's by the configured margin.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from core.config import EvalConfig, Sampling, TeacherConfig
from core.errors import GerminateError
from core.models import resolve_model
from core.records import load_tasks, user_prompt
from core.store import atomic_write_json
from evals import gate
from evals.answers import Answer, check_adapter, generate_transformers, generate_vllm, heldout_loss
from evals.constraints import strict_accuracy
from evals.judge import JUDGE_SCHEMA, judge_pairs
from evals.similarity import mean_rouge_l
from flows.generate import get_teacher

LOWER_IS_BETTER = {"heldout_loss"}


def eval_items(eval_set: Path) -> list[dict]:
    items = []
    for t in load_tasks(eval_set, "eval"):
        for inst in t.instances:
            items.append({"id": t.id, "instruction": t.instruction, "input": inst.input,
                          "reference": inst.output, "constraints": t.constraints})
    return items


def score(items: list[dict], answers: list[Answer], loss: float) -> dict:
    return {
        "rouge_l": round(mean_rouge_l([(a.text, it["reference"]) for a, it in zip(answers, items)]), 4),
        "constraint_accuracy": strict_accuracy([(it["constraints"], a.text) for a, it in zip(answers, items)]),
        "heldout_loss": round(loss, 4),
        "eos_rate": round(sum(a.finish_reason == "stop" for a in answers) / max(len(answers), 1), 4),
        "mean_answer_tokens": round(sum(a.tokens for a in answers) / max(len(answers), 1), 1),
    }


@task(name="student-answers", cache_policy=NONE, tags=["gpu"])
def answer_task(config: EvalConfig, base_path: str, prompts: list, models: dict) -> dict:
    run = generate_vllm if config.backend == "vllm" else generate_transformers
    return run(base_path, prompts, models, config.max_tokens)


@task(name="judge", retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE, tags=["gpu"])
def judge_task(teacher_cfg: TeacherConfig, items: list[dict], candidate: list[str], champion: list[str]) -> dict:
    teacher = get_teacher(teacher_cfg)

    def ask(batch: list[list[dict]]) -> list[str]:
        replies = teacher.complete(batch, Sampling(temperature=0.0, top_p=1.0, max_tokens=16),
                                   list(range(len(batch))), schema=JUDGE_SCHEMA)
        return [r.text for r in replies]

    return judge_pairs(items, candidate, champion, ask)


@flow(name="evaluate", log_prints=True)
def evaluate_flow(config: EvalConfig, student: str, teacher: TeacherConfig, data_root: str,
                  candidate: str | None = None, run_id: str | None = None,
                  out_path: str | None = None, record: bool = True) -> dict:
    """Score base / champion / candidate; decide and (when `record`) update the registry."""
    items = eval_items(config.eval_set)
    base_path = resolve_model(student)
    registry = gate.load(Path(data_root))
    recorded = next((h for h in registry.get("history", []) if run_id and h.get("run_id") == run_id), None)
    champ = registry.get("champion")
    if recorded and champ and champ.get("run_id") == run_id:
        # A resumed run that was already recorded (and promoted) must not face itself.
        champ = None
    champion_adapter = champ["adapter"] if champ and Path(champ["adapter"]).exists() else None
    note = None
    if champion_adapter:
        try:
            check_adapter(Path(champion_adapter), base_path)
        except GerminateError as exc:
            # A champion trained on another student is not comparable; the candidate faces base.
            note, champion_adapter = f"champion ignored: {exc}", None
    if candidate:
        check_adapter(Path(candidate), base_path)
    models = {"base": None}
    if champion_adapter:
        models["champion"] = Path(champion_adapter)
    if candidate:
        models["candidate"] = Path(candidate)
    prompts = [[{"role": "user", "content": user_prompt(it)}] for it in items]
    answers = answer_task(config, base_path, prompts, models)
    convs = [p + [{"role": "assistant", "content": it["reference"]}] for p, it in zip(prompts, items)]
    scores = {name: score(items, answers[name], heldout_loss(base_path, convs, adapter))
              for name, adapter in models.items()}
    result: dict = {"eval_set": str(config.eval_set), "items": len(items), "student": student,
                    "primary_metric": config.primary_metric, "margin": config.margin, "scores": scores}
    if note:
        result["note"] = note
    if candidate:
        opponent = "champion" if champion_adapter else "base"
        if config.judge:
            verdict = judge_task(teacher, items, [a.text for a in answers["candidate"]],
                                 [a.text for a in answers[opponent]])
            result["judge"] = {"opponent": opponent, **{k: v for k, v in verdict.items() if k != "outcomes"}}
            scores["candidate"]["judge_win_rate"] = verdict["win_rate"]
            scores[opponent]["judge_win_rate"] = 0.5
        champion_scores = scores.get("champion")
        decision = gate.decide(scores["candidate"], champion_scores, config.primary_metric, config.margin,
                               higher_is_better=config.primary_metric not in LOWER_IS_BETTER)
        if recorded and record:
            # Killed after the registry was written: keep the decision it recorded.
            decision = recorded["decision"]
        result["decision"] = decision
        if record and run_id and not recorded:
            gate.record(Path(data_root), {
                "run_id": run_id, "adapter": str(candidate), "base_model": student,
                "scores": scores["candidate"], "decision": decision,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}, decision["promote"])
    result["samples"] = [{"id": it["id"], "prompt": user_prompt(it),
                          **{name: answers[name][i].text for name in models}} for i, it in enumerate(items[:5])]
    if out_path:
        atomic_write_json(Path(out_path), result)
    return result
