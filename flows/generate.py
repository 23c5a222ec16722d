"""Prefect flow `generate`: seeds -> teacher -> candidates.jsonl in the run directory.

Tasks are thin: the Self-Instruct logic is in `generators.self_instruct`; the one task here
calls the teacher, with retries. Progress is checkpointed after every round
(`checkpoint.json`, written atomically), so a killed run resumes at the next round and, because
request seeds derive from (run seed, request index), rebuilds the same requests.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE
from rich.progress import Progress

from core import console_logging
from core.config import ClusterConfig, GenerateConfig, Sampling, TeacherConfig
from core.models import resolve_model
from core.records import Candidate, SeedTask, load_tasks
from core.store import RunDir, atomic_write_json, atomic_write_jsonl, read_jsonl_rows
from flows.cluster import merge_shards, run_shards, shard_count, shard_indices, teacher_for_shard
from generators import self_instruct as si
from generators.teacher_types import Completion, Teacher
from generators.teachers import make_teacher

_TEACHERS: dict[str, Teacher] = {}


def get_teacher(cfg: TeacherConfig) -> Teacher:
    """One engine per process and config: loading vLLM costs ~20 s, so it is reused."""
    key = cfg.model_dump_json()
    if key not in _TEACHERS:
        _TEACHERS[key] = make_teacher(cfg)
    return _TEACHERS[key]


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
    teacher = get_teacher(cfg)
    return teacher.complete([r.messages for r in requests], sampling, [r.seed for r in requests],
                            schema=requests[0].schema if requests else None) if requests else []


def ask(cfg: TeacherConfig, requests: list[si.Request], sampling: Sampling, shards: int = 1) -> list[Completion]:
    """All of a round's requests at once, split into `shards` (one per endpoint or worker).

    Requests with different schemas (input-first vs output-first) go as separate batches.
    """
    replies: list[Completion | None] = [None] * len(requests)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(str(r.schema), []).append(i)
    for idxs in groups.values():
        group = [requests[i] for i in idxs]
        parts = shard_indices(len(group), shards)
        results = run_shards(ask_teacher, parts, lambda s, idx: (
            teacher_for_shard(cfg, s), [group[i] for i in idx], sampling))
        for i, reply in zip(idxs, merge_shards(parts, results, len(group))):
            replies[i] = reply
    return replies  # type: ignore[return-value]


def _progress() -> Progress:
    # On the person's terminal, also while the engine's own output goes to the run's log.
    return console_logging.progress()


def bootstrap_instructions(run: RunDir, seeds: list[SeedTask], cfg: GenerateConfig, shards: int = 1) -> list[Candidate]:
    """Rounds of instruction generation until `num_instructions` unique ones (or max_rounds)."""
    ckpt_path = run.file("checkpoint.json")
    ckpt = read_checkpoint(ckpt_path)
    candidates = [Candidate.model_validate(c) for c in ckpt["candidates"]]
    log = ckpt["requests"]
    with _progress() as bar:
        job = bar.add_task("instructions", total=cfg.num_instructions)
        while True:
            unique = si.unique_instructions(candidates, seeds)
            bar.update(job, completed=min(len(unique), cfg.num_instructions))
            done_rounds = ckpt["next_index"] // cfg.requests_per_round
            if len(unique) >= cfg.num_instructions or done_rounds >= cfg.max_rounds:
                break
            requests = si.instruction_requests(seeds, unique, cfg, ckpt["next_index"], cfg.requests_per_round)
            replies = ask(cfg.teacher, requests, cfg.instruction_sampling, shards)
            candidates += si.instruction_candidates(run.run_id, requests, replies)
            log += si.request_log(requests, replies)
            ckpt = {"next_index": ckpt["next_index"] + len(requests),
                    "candidates": [c.model_dump() for c in candidates], "requests": log}
            atomic_write_json(ckpt_path, ckpt)
    return candidates


def read_checkpoint(path: Path) -> dict:

    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"next_index": 0, "candidates": [], "requests": []}


def add_instances(run: RunDir, candidates: list[Candidate], seeds: list[SeedTask], cfg: GenerateConfig,
                  shards: int = 1) -> list[Candidate]:
    """Classify, then generate one instance per parsed instruction; failed parses pass through."""
    parsed = [c for c in candidates if c.parse_error is None]
    with _progress() as bar:
        job = bar.add_task("instances", total=2)
        cls_requests = si.classification_requests(parsed, cfg)
        # Greedy: identification is a judgement, not a place for diversity.
        cls_sampling = Sampling(temperature=0.0, top_p=1.0, max_tokens=16)
        cls_replies = ask(cfg.teacher, cls_requests, cls_sampling, shards)
        parsed = si.apply_classification(parsed, cls_replies)
        bar.advance(job)
        inst_requests = si.instance_requests(parsed, seeds, cfg)
        inst_replies = ask(cfg.teacher, inst_requests, cfg.instance_sampling, shards)
        bar.advance(job)
    teacher_name = f"{cfg.teacher.backend}:{cfg.teacher.model}"
    done = {c.id: c for c in si.apply_instances(parsed, inst_replies, teacher_name, cfg.instance_sampling)}
    atomic_write_jsonl(run.file("requests.jsonl"),
                       read_checkpoint(run.file("checkpoint.json"))["requests"]
                       + si.request_log(cls_requests, cls_replies)
                       + si.request_log(inst_requests, inst_replies))
    return [done.get(c.id, c) for c in candidates]


@flow(name="generate", log_prints=True)
def generate_flow(config: GenerateConfig, data_root: str, run_id: str,
                  cluster: ClusterConfig = ClusterConfig()) -> str:
    """Self-instruct candidates into `runs/<run_id>/candidates.jsonl`; returns that path.

    Run it `with_runner` (flows.cluster) to send the shards to Dask workers.
    """
    run = RunDir(Path(data_root), run_id)
    out = run.file("candidates.jsonl")
    if run.stage_done("generate") and out.exists():
        return str(out)
    started = time.perf_counter()
    seeds = load_tasks(config.seeds)
    shards = shard_count(cluster, config.teacher)
    candidates = bootstrap_instructions(run, seeds, config, shards)
    candidates = add_instances(run, candidates, seeds, config, shards)
    atomic_write_jsonl(out, [c.model_dump() for c in candidates])
    tokens = sum(r["completion_tokens"] for r in read_jsonl_rows(run.file("requests.jsonl")))
    run.mark_stage("generate", candidates=len(candidates), completion_tokens=tokens,
                   seconds=round(time.perf_counter() - started, 1))
    return str(out)
