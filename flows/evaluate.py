"""Prefect flow `evaluate`: base vs champion vs candidate on the held-out set, then the gate.

All models answer the same items with the same greedy decoding; answers that were computed
before (the base model's, the champion's from the night it was a candidate) are read from the
answer cache (`evals.answer_cache`). Metrics are kept per item (`evals.metrics`), so every
score has a bootstrap interval and every comparison a paired-bootstrap interval of its delta
(`evals.bootstrap`). The judge (off unless configured) compares the candidate with each
opponent in both orders. The gate (`evals.gate`) promotes only a candidate that beats the
base AND the champion. A champion whose adapter cannot be loaded is reported
(`champion_missing`) and the candidate then faces the base alone.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from core.config import EvalConfig, Sampling, TeacherConfig
from core.fingerprints import fingerprint_file
from core.models import resolve_model
from core.records import user_prompt
from core.store import atomic_write_json, atomic_write_jsonl
from evals import answer_cache, gate
from evals.answers import Answer, check_adapter, generate_transformers, generate_vllm, heldout_losses
from evals.bootstrap import Resampler, paired_delta_ci
from evals.judge import JUDGE_SCHEMA, judge_pairs
from evals.metrics import JUDGE_METRIC, METRICS, per_item, summarize
from flows.evaluate_checks import champion_status, eval_items
from flows.generate import get_teacher

__all__ = ["eval_items", "evaluate_flow"]


@task(name="student-answers", cache_policy=NONE, tags=["gpu"])
def answer_task(config: EvalConfig, base_path: str, prompts: list, models: dict) -> dict:
    run = generate_vllm if config.backend == "vllm" else generate_transformers
    return run(base_path, prompts, models, config.max_tokens)


@task(name="judge", retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE, tags=["gpu"])
def judge_task(judge: TeacherConfig, max_tokens: int, items: list[dict], subject: list[Answer],
               opponent: list[Answer], draws: Resampler) -> dict:
    teacher = get_teacher(judge)

    def ask(batch: list[list[dict]]) -> list[str]:
        replies = teacher.complete(batch, Sampling(temperature=0.0, top_p=1.0, max_tokens=max_tokens),
                                   list(range(len(batch))), schema=JUDGE_SCHEMA if judge.structured_output else None)
        return [r.text for r in replies]

    return judge_pairs(items, [a.text for a in subject], [a.text for a in opponent], ask,
                       [a.tokens - b.tokens for a, b in zip(subject, opponent)], draws)


def cache_keys(config: EvalConfig, base_path: str, items: list[dict], models: dict[str, Path | None]) -> dict[str, str]:
    """Each model's answer-cache key for these items and settings."""
    prompts = [[{"role": "user", "content": user_prompt(it)}] for it in items]
    model_fp = answer_cache.model_fingerprint(base_path)
    return {name: answer_cache.cache_key(model_fp, answer_cache.adapter_fingerprint(adapter), prompts,
                                         [it["reference"] for it in items], config.max_tokens, config.backend)
            for name, adapter in models.items()}


def answers_and_losses(config: EvalConfig, base_path: str, data_root: Path, items: list[dict],
                       models: dict[str, Path | None]) -> tuple[dict, dict, dict[str, str]]:
    """(answers, losses, cache state) per model: from the answer cache where an entry exists,
    else computed (all missing models in one engine call) and stored."""
    prompts = [[{"role": "user", "content": user_prompt(it)}] for it in items]
    refs = [it["reference"] for it in items]
    keys = cache_keys(config, base_path, items, models)
    answers, losses, state = {}, {}, {}
    for name in models:
        hit = answer_cache.load(data_root, keys[name], len(items)) if config.cache_answers else None
        state[name] = "off" if not config.cache_answers else "hit" if hit else "miss"
        if hit:
            answers[name], losses[name] = hit
    missing = {name: adapter for name, adapter in models.items() if name not in answers}
    if missing:
        answers.update(answer_task(config, base_path, prompts, missing))
        convs = [p + [{"role": "assistant", "content": r}] for p, r in zip(prompts, refs)]
        for name, adapter in missing.items():
            losses[name] = heldout_losses(base_path, convs, adapter)
            if config.cache_answers:
                answer_cache.store(data_root, keys[name], answers[name], losses[name],
                                   {"model": base_path, "adapter": str(adapter) if adapter else None,
                                    "eval_set": str(config.eval_set), "max_tokens": config.max_tokens})
    return answers, losses, state


def compare(values: dict, subject: str, opponent: str, draws: Resampler) -> dict[str, dict]:
    """Paired-bootstrap delta of every gateable metric, subject vs opponent (positive: better)."""
    return {name: paired_delta_ci(values[subject][name], values[opponent][name], draws, m.higher_is_better)
            for name, m in METRICS.items() if m.higher_is_better is not None}


def judge_delta(verdict: dict) -> dict[str, float | None]:
    """The judge's win rate as an improvement over an even 0.5, for the gate."""
    return {k: None if verdict[v] is None else verdict[v] - 0.5
            for k, v in (("delta", "win_rate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"))}


@flow(name="evaluate", log_prints=True)
def evaluate_flow(config: EvalConfig, student: str, teacher: TeacherConfig, data_root: str,
                  candidate: str | None = None, run_id: str | None = None,
                  out_path: str | None = None, record: bool = True) -> dict:
    """Score base / champion / candidate; decide and (when `record`) update the registry."""
    started = time.perf_counter()
    root = Path(data_root)
    items = eval_items(config.eval_set)
    base_path = resolve_model(student)
    registry = gate.load(root)
    recorded = next((h for h in registry.get("history", []) if run_id and h.get("run_id") == run_id), None)
    champ, champion_adapter, missing = champion_status(registry, run_id, recorded, base_path)
    if candidate:
        check_adapter(Path(candidate), base_path)
    models: dict[str, Path | None] = {"base": None}
    if champion_adapter:
        models["champion"] = champion_adapter
    if candidate:
        models["candidate"] = Path(candidate)
    answers, losses, cache_state = answers_and_losses(config, base_path, root, items, models)
    answered = time.perf_counter()
    draws = Resampler.create(len(items), config.gate.n_boot, config.gate.seed, config.gate.confidence)
    values = {name: per_item(items, answers[name], losses[name]) for name in models}
    summaries = {name: summarize(values[name], draws) for name in models}
    result: dict[str, Any] = {
        "eval_set": str(config.eval_set), "eval_set_sha256": fingerprint_file(config.eval_set),
        "items": len(items), "student": student, "primary_metric": config.primary_metric,
        "margin": config.margin, "confidence": config.gate.confidence, "n_boot": config.gate.n_boot,
        "models": {name: {"adapter": str(a) if a else None, "answers": cache_state[name]} for name, a in models.items()},
        "scores": {name: s for name, (s, _) in summaries.items()},
        "intervals": {name: ci for name, (_, ci) in summaries.items()},
    }
    if champ:
        result["champion"] = {"run_id": champ["run_id"], "adapter": champ["adapter"]}
    if missing:
        result["champion_missing"] = missing
        print(missing)
    # The subject is compared with every other model: the candidate, or (germinate eval
    # without --adapter) the champion against the base.
    subject = "candidate" if candidate else "champion" if champion_adapter else None
    opponents = [n for n in ("base", "champion") if n in models and n != subject] if subject else []
    result["subject"] = subject
    result["comparisons"] = {opp: compare(values, subject, opp, draws) for opp in opponents}
    judge_cfg = config.judge.resolve(teacher)
    result["judge"] = {"enabled": judge_cfg is not None,
                       "model": f"{judge_cfg.backend}:{judge_cfg.model}" if judge_cfg else None}
    for opp in opponents if judge_cfg else []:
        verdict = judge_task(judge_cfg, config.judge.max_tokens, items, answers[subject], answers[opp], draws)
        result["judge"][opp] = verdict
        result["comparisons"][opp][JUDGE_METRIC] = judge_delta(verdict)
    judged = time.perf_counter()
    if candidate:
        names = {opp: f"champion {champ['run_id']}" if opp == "champion" else opp for opp in opponents}
        decision = gate.decide({names[o]: result["comparisons"][o] for o in opponents}, config.primary_metric,
                               config.margin, config.gate.secondary, config.gate.confidence, missing)
        if recorded and record:
            # Killed after the registry was written: keep the decision it recorded.
            decision = recorded["decision"]
        result["decision"] = decision
        if record and run_id and not recorded:
            scores = dict(result["scores"]["candidate"])
            if "base" in result["judge"]:  # vs the base: comparable night over night
                scores[JUDGE_METRIC] = result["judge"]["base"]["win_rate"]
            gate.record(root, {
                "run_id": run_id, "adapter": str(candidate), "base_model": student,
                "scores": scores, "decision": decision,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}, decision["promote"])
    result["samples"] = [{"id": it["id"], "prompt": user_prompt(it),
                          **{name: answers[name][i].text for name in models}} for i, it in enumerate(items[:5])]
    result["seconds"] = {"answers": round(answered - started, 1), "judge": round(judged - answered, 1),
                         "total": round(time.perf_counter() - started, 1)}
    if out_path:
        write_outputs(Path(out_path), result, items, answers, losses)
    return result


def write_outputs(out_path: Path, result: dict, items: list[dict], answers: dict, losses: dict) -> None:
    """eval.json and, next to it, every item's answers (`eval_answers.jsonl`) to read."""
    judged = {opp: v["outcomes"] for opp, v in result["judge"].items() if isinstance(v, dict)}
    rows = [{"id": it["id"], "prompt": user_prompt(it), "reference": it["reference"],
             **{name: {"text": a[i].text, "finish_reason": a[i].finish_reason, "tokens": a[i].tokens,
                       "reference_nll": round(losses[name][i][0], 4)} for name, a in answers.items()},
             **{f"judge_vs_{opp}": outcomes[i] for opp, outcomes in judged.items()}}
            for i, it in enumerate(items)]
    atomic_write_jsonl(out_path.with_name("eval_answers.jsonl"), rows)
    atomic_write_json(out_path, result)
