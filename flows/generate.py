"""Prefect flow `generate`: seeds -> teacher -> curated rounds -> candidates.jsonl in the run directory.

Tasks are thin: the Self-Instruct logic is in `generators.self_instruct`; the one task here
calls the teacher, with retries. Generation runs in rounds until enough rows are *kept*: each
round's candidates are curated by the curate stage's own `decide_rows`. Progress is
checkpointed after every round (`checkpoint.json`, written atomically), so a killed run resumes
at the next round and, because request seeds derive from (run seed, request index) and the
examples shown from the pool as the run found it, rebuilds the same requests.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from core import console_logging
from core.config import ClusterConfig, CurateConfig, GenerateConfig, Sampling, TeacherConfig
from core.errors import GerminateError
from core.models import resolve_model
from core.records import Candidate, LedgerRow, SeedTask, load_tasks
from core.store import RunDir, atomic_write_json, atomic_write_jsonl
from filters.curate import similarity_text
from flows.checkpoint import other_runs_rows, pool_as_found, pool_state, read_checkpoint
from flows.cluster import merge_shards, run_shards, shard_count, shard_indices, teacher_for_shard
from flows.curate import decide_rows, decision_key, pool_entries, seed_rows
from flows.teacher_cache import _TEACHERS, get_teacher  # noqa: F401  (tests put stand-ins in _TEACHERS)
from generators import self_instruct as si
from generators.example_sampling import ExampleStock
from generators.teacher_types import Completion


def preflight_teacher(cfg: TeacherConfig, cluster: ClusterConfig = ClusterConfig()) -> None:
    """Fail on a bad model or an unreachable endpoint before a run directory exists.

    In-process engines are built here and reused by the flow, except when Dask workers will
    load their own: then the embedded model is only converted, once, before they start.
    """
    if cfg.backend == "openai":
        for shard in range(max(1, len(cfg.endpoints))):
            get_teacher(teacher_for_shard(cfg, shard))
    elif cluster.runner == "dask":
        resolve_model(cfg.model)
    else:
        get_teacher(cfg)


# Tagged `gpu`: with `prefect concurrency-limit create gpu 1` generation and training never
# share the accelerator.
@task(name="ask-teacher", retries=2, retry_delay_seconds=[2, 10], cache_policy=NONE, tags=["gpu"])
def ask_teacher(cfg: TeacherConfig, requests: list[si.Request], sampling: Sampling) -> list[Completion]:
    if not requests:
        return []
    teacher = get_teacher(cfg)
    seeds = [r.seed for r in requests]
    if requests[0].prompt is not None:  # base mode: raw text to continue
        return teacher.complete_text([r.prompt for r in requests], sampling, seeds, stop=list(requests[0].stop))
    return teacher.complete([r.messages for r in requests], sampling, seeds, schema=requests[0].schema)


def ask(cfg: TeacherConfig, requests: list[si.Request], sampling: Sampling, shards: int = 1,
        by_language: Mapping[str, TeacherConfig] | None = None) -> list[Completion]:
    """All of a round's requests at once, split into `shards` (one per endpoint or worker).

    A request with a `teacher` language goes to `by_language[teacher]`, the others to `cfg`.
    Requests with different teachers, schemas (input-first vs output-first) or stop strings
    go as separate batches.
    """
    replies: list[Completion | None] = [None] * len(requests)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(f"{r.teacher}|{r.schema}|{r.stop}", []).append(i)
    for idxs in groups.values():
        group = [requests[i] for i in idxs]
        own = (by_language or {}).get(group[0].teacher, cfg)
        parts = shard_indices(len(group), shards)
        results = run_shards(ask_teacher, parts, lambda s, idx, own=own: (
            teacher_for_shard(own, s), [group[i] for i in idx], sampling))
        for i, reply in zip(idxs, merge_shards(parts, results, len(group))):
            replies[i] = reply
    return replies  # type: ignore[return-value]


def top_drops(rows: list[LedgerRow], n: int = 3) -> dict[str, int]:
    """The `n` most frequent drop reasons among `rows`, most frequent first."""
    return dict(Counter(reason for r in rows for reason in r.reasons).most_common(n))


def round_line(y: dict[str, Any], target: int, max_rounds: int) -> str:
    """One round's yield, as the console shows it."""
    drops = ", ".join(f"{k} {v}" for k, v in y["drops"].items()) or "none"
    return (f"round {y['round']}/{max_rounds}: {y['generated']} candidates, {y['kept']} kept "
            f"({y['kept_total']}/{target} so far); top drops: {drops} [{y['seconds']} s]")


def machine_instructions(cfg: GenerateConfig, found: list[dict], kept: list[LedgerRow],
                         candidates: list[Candidate], seeds: list[SeedTask]) -> list[str]:
    """What requests may show besides the seeds. `novelty`: every accepted row, the pool as the
    run found it then this run's kept rows; `uniform` (Self-Instruct): this run's new
    instructions, whatever the pool holds, so a fixed run seed replays a night's requests."""
    if cfg.example_sampling == "uniform":
        return si.unique_instructions(candidates, seeds)
    return [r["instruction"] for r in found] + [r.instruction for r in kept]


def add_instances(candidates: list[Candidate], seeds: list[SeedTask], cfg: GenerateConfig, start: int,
                  shards: int = 1) -> tuple[list[Candidate], list[dict]]:
    """Classify, then generate one instance per parsed instruction (request indices from
    `start`, in order); failed parses pass through. A row is finished by the teacher that
    wrote its instruction (`meta.teacher_language`), in that teacher's mode. Returns the
    candidates and the request log."""
    parsed = [c for c in candidates if c.parse_error is None]
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(parsed):
        groups.setdefault(c.meta.get("teacher_language", ""), []).append(i)
    by_language = cfg.teachers_by_language()
    done: dict[str, Candidate] = {}
    log: list[dict] = []
    for language, places in groups.items():
        own = cfg.model_copy(update={"teacher": cfg.teacher_for(language)})
        rows = [parsed[i] for i in places]
        indices = [start + i for i in places]
        cls_requests = [replace(r, teacher=language) for r in
                        si.classification_requests(rows, own, seeds, indices=indices)]
        # Greedy: identification is a judgement, not a place for diversity.
        cls_sampling = Sampling(temperature=0.0, top_p=1.0, max_tokens=16)
        cls_replies = ask(cfg.teacher, cls_requests, cls_sampling, shards, by_language)
        rows = si.apply_classification(rows, cls_replies)
        inst_requests = [replace(r, teacher=language) for r in
                         si.instance_requests(rows, seeds, own, indices=indices)]
        inst_replies = ask(cfg.teacher, inst_requests, cfg.instance_sampling, shards, by_language)
        teacher_name = f"{own.teacher.backend}:{own.teacher.model}"
        done.update((c.id, c) for c in si.apply_instances(rows, inst_replies, teacher_name, cfg.instance_sampling,
                                                          mode=own.teacher.mode))
        log += si.request_log(cls_requests, cls_replies) + si.request_log(inst_requests, inst_replies)
    return [done.get(c.id, c) for c in candidates], log


def generate_rounds(run: RunDir, seeds: list[SeedTask], cfg: GenerateConfig, curate_cfg: CurateConfig,
                    shards: int = 1, curate_shards: int = 1) -> list[Candidate]:
    """Rounds until `num_instructions` rows are KEPT, or `max_rounds`; returns every candidate.

    A round asks for `requests_per_round` requests' worth of instructions, classifies them,
    writes their instances and curates them with the curate stage's own `decide_rows` against
    the seeds, the pool as the run found it and the rows kept by earlier rounds, so its kept
    count is the real one. After each round the checkpoint is written (flows/checkpoint.py);
    a resumed run continues at the next round with the same requests.
    """
    ckpt_path = run.file("checkpoint.json")
    ckpt = read_checkpoint(ckpt_path)
    found = pool_as_found(run.data_root, run.run_id, ckpt["pool"])
    ckpt["pool"] = pool_state(found)
    # The persisted index covers the whole pool; a resume after another night grew it compares
    # with the rows it found exactly instead.
    persisted = len(found) == len(other_runs_rows(run.data_root, run.run_id))
    key = decision_key(curate_cfg, str(cfg.seeds))
    if ckpt["decided_with"] not in (None, key):
        print("curation settings, seeds or eval set changed since the earlier rounds: the curate stage will re-decide")
        key = "mixed"
    ckpt["decided_with"] = key
    candidates = [Candidate.model_validate(c) for c in ckpt["candidates"]]
    rows = [LedgerRow.model_validate(r) for r in ckpt["rows"]]
    first = seed_rows(str(cfg.seeds))
    entries = pool_entries(found, curate_cfg)
    for y in ckpt["rounds"]:
        print(round_line(y, cfg.num_instructions, cfg.max_rounds) + " (checkpointed)")
    while True:
        kept = [r for r in rows if r.verdict == "kept"]
        if len(kept) >= cfg.num_instructions or len(ckpt["rounds"]) >= cfg.max_rounds:
            break
        started = time.perf_counter()
        n = len(ckpt["rounds"]) + 1
        stock = ExampleStock.build(seeds, machine_instructions(cfg, found, kept, candidates, seeds),
                                   cfg.example_sampling)
        requests = si.instruction_requests(seeds, stock, cfg, ckpt["next_index"], cfg.requests_per_round,
                                           curate_cfg.languages)
        replies = ask(cfg.teacher, requests, cfg.instruction_sampling, shards, cfg.teachers_by_language())
        new = si.instruction_candidates(run.run_id, requests, replies)
        log = si.request_log(requests, replies)
        parsed = sum(c.parse_error is None for c in new)  # one classify + one instance request each
        new, instance_log = add_instances(new, seeds, cfg, ckpt["next_instance"], shards)
        earlier = first + [(r.id, similarity_text(r, curate_cfg)) for r in kept]
        new_rows = decide_rows(new, curate_cfg, run.data_root, earlier, entries, persisted, curate_shards,
                               seeds=str(cfg.seeds))
        n_kept = sum(r.verdict == "kept" for r in new_rows)
        y = {"round": n, "requests": len(requests), "generated": len(new), "kept": n_kept,
             "kept_total": len(kept) + n_kept, "drops": top_drops(new_rows),
             "seconds": round(time.perf_counter() - started, 1)}
        print(round_line(y, cfg.num_instructions, cfg.max_rounds))
        console_logging.report(min(y["kept_total"], cfg.num_instructions), cfg.num_instructions)
        candidates += new
        rows += new_rows
        ckpt.update(next_index=ckpt["next_index"] + len(requests),
                    next_instance=ckpt["next_instance"] + parsed,
                    rounds=ckpt["rounds"] + [y], candidates=[c.model_dump() for c in candidates],
                    rows=[r.model_dump() for r in rows],
                    requests=ckpt["requests"] + [dict(e, round=n) for e in log + instance_log])
        atomic_write_json(ckpt_path, ckpt)
    return candidates


@flow(name="generate", log_prints=True)
def generate_flow(config: GenerateConfig, data_root: str, run_id: str,
                  cluster: ClusterConfig = ClusterConfig(), curate: CurateConfig = CurateConfig()) -> str:
    """Self-instruct candidates into `runs/<run_id>/candidates.jsonl`; returns that path.

    `curate` is the curation the rounds count kept rows with: the settings the curate stage
    will use. Run it `with_runner` (flows.cluster) to send the shards to Dask workers.
    """
    run = RunDir(Path(data_root), run_id)
    out = run.file("candidates.jsonl")
    if run.stage_done("generate") and out.exists():
        return str(out)
    if config.run_seed is None:
        raise GerminateError(f"run {run_id} has no run seed: create runs with flows.prepare.create_run, "
                             f"which records one in the run's config.yaml")
    started = time.perf_counter()
    seeds = load_tasks(config.seeds)
    candidates = generate_rounds(run, seeds, config, curate, shard_count(cluster, config.teacher), shard_count(cluster))
    atomic_write_jsonl(out, [c.model_dump() for c in candidates])
    ckpt = read_checkpoint(run.file("checkpoint.json"))
    atomic_write_jsonl(run.file("requests.jsonl"), ckpt["requests"])
    kept = sum(r["verdict"] == "kept" for r in ckpt["rows"])
    run.mark_stage("generate", candidates=len(candidates), kept=kept, target=config.num_instructions,
                   reached=kept >= config.num_instructions, rounds=ckpt["rounds"],
                   completion_tokens=sum(r["completion_tokens"] for r in ckpt["requests"]),
                   seconds=round(time.perf_counter() - started, 1))
    if kept < config.num_instructions:
        print(f"kept {kept} of {config.num_instructions} wanted in max_rounds={config.max_rounds}: "
              f"the teacher's yield is {kept}/{len(candidates)} candidates")
    return str(out)
