"""What the evaluation needs, checked before anything is generated or trained, and which
champion the candidate can face.

`check_evaluation` (called by `flows.prepare.preflight` and `germinate eval`) rejects with one
line the combinations that cannot work: a primary metric the eval set or the judge cannot
produce, a malformed constraint, an unreachable judge. It prints a warning for what works but
is probably not meant: an eval set curation does not decontaminate against, seeds that
overlap the eval set (tuning leaves them out).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from core.config import CurateConfig, PipelineConfig
from core.errors import GerminateError
from core.models import resolve_model
from core.records import Candidate, SeedTask, load_tasks
from evals.answers import check_adapter
from evals.constraints import validate
from evals.metrics import CONSTRAINT_METRICS, JUDGE_METRIC
from filters.decontaminate import EvalIndex
from flows.generate import get_teacher


def eval_items(eval_set: Path) -> list[dict]:
    """One item per eval instance: id, instruction, input, reference, constraints."""
    items = []
    for t in load_tasks(eval_set, "eval"):
        for inst in t.instances:
            items.append({"id": t.id, "instruction": t.instruction, "input": inst.input,
                          "reference": inst.output, "constraints": t.constraints})
    return items


def print_warnings(warnings: list[str]) -> None:
    """Each warning as one line on stderr; the command goes on. Callers print them after every
    check has passed, so bad input still ends in exactly one (error) line."""
    for message in warnings:
        print(f"warning: {message}", file=sys.stderr)


def _same_file(a: Path | None, b: Path | None) -> bool:
    return a is not None and b is not None and Path(a).resolve() == Path(b).resolve()


def check_evaluation(cfg: PipelineConfig, seeds: bool = True) -> list[str]:
    """Fail (GerminateError, one line) on an evaluation that cannot work; return warnings for
    one that works but is probably not meant (`print_warnings`). `seeds=False` skips the
    seeds-vs-eval check (`germinate eval`)."""
    ev = cfg.evaluate
    items = eval_items(ev.eval_set)
    for item in items:
        try:
            validate(item["constraints"])
        except GerminateError as exc:
            raise GerminateError(f"{ev.eval_set}: task {item['id']}: {exc}") from None
    judge = ev.judge.resolve(cfg.generate.teacher)
    if ev.primary_metric == JUDGE_METRIC and judge is None:
        raise GerminateError("evaluate.primary_metric is judge_win_rate but the judge is off: set "
                             "evaluate.judge.model (or evaluate.judge.enabled=true to let the teacher judge)")
    if ev.primary_metric in CONSTRAINT_METRICS and not any(it["constraints"] for it in items):
        raise GerminateError(f"evaluate.primary_metric is {ev.primary_metric} but no task in {ev.eval_set} "
                             "has constraints: choose rouge_l or heldout_loss, or add constraints")
    if judge is not None and judge != cfg.generate.teacher:
        if judge.backend == "openai":
            try:
                get_teacher(judge)  # reaches the endpoint
            except GerminateError as exc:
                # The client words its errors for the teacher; here it is the judge.
                raise GerminateError(str(exc).replace("teacher", "judge", 1)) from None
        else:
            resolve_model(judge.model)  # converts an embedded model, rejects a missing path
    warnings = []
    decontam = cfg.curate.decontamination.eval_set
    if not _same_file(ev.eval_set, decontam):
        warnings.append(f"evaluate.eval_set ({ev.eval_set}) differs from curate.decontamination.eval_set ({decontam}): "
              "generated data is not decontaminated against the set the gate scores on")
    if seeds:
        overlapping = seeds_overlapping_eval(load_tasks(cfg.generate.seeds, "seed"), ev.eval_set, cfg.curate)
        if overlapping:
            shown = ", ".join(f"{s} ~ {e}" for s, e in list(overlapping.items())[:3])
            warnings.append(f"{len(overlapping)} seed task(s) overlap the eval set ({shown}); "
                            "tuning leaves them out")
    return warnings


def seeds_overlapping_eval(seeds: list[SeedTask], eval_set: Path, curate: CurateConfig) -> dict[str, str]:
    """{seed id: eval task id} for seed tasks that overlap `eval_set`, by curation's
    decontamination rule (`filters.decontaminate`, any instance of the seed)."""
    index = EvalIndex.from_config(load_tasks(eval_set, "eval"), curate)
    found: dict[str, str] = {}
    for task in seeds:
        for inst in task.instances:
            hit = index.overlap(Candidate(id=task.id, instruction=task.instruction, input=inst.input,
                                          output=inst.output))
            if hit:
                found[task.id] = hit
                break
    return found


def champion_status(registry: dict[str, Any], run_id: str | None, recorded: dict | None,
                    base_path: str) -> tuple[dict | None, Path | None, str | None]:
    """(champion entry, its adapter to load, why it cannot be loaded): the adapter is None and
    the reason set when the registry names a champion whose adapter is gone or belongs to
    another base model."""
    champ = registry.get("champion")
    if not champ or (recorded and champ.get("run_id") == run_id):
        # No champion, or a resumed run that was already recorded (and promoted): it must not
        # face itself.
        return None, None, None
    adapter = Path(champ["adapter"])
    why = None
    if not (adapter / "adapter_config.json").is_file():
        why = f"its adapter directory {adapter} does not exist" if not adapter.exists() else \
            f"{adapter} holds no adapter_config.json"
    else:
        try:
            check_adapter(adapter, base_path)
        except GerminateError as exc:
            why = str(exc)
    if why:
        return champ, None, f"champion {champ['run_id']} could not be loaded ({why})"
    return champ, adapter, None
