"""Teacher throughput: generated tokens/s of the vllm backend vs the transformers backend.

    python bench/teacher.py                 # embedded SmolLM2, 32 prompts x 128 tokens
    python bench/teacher.py --prompts 64 --max-tokens 256 --model PATH_OR_ID

Both backends get the same model, the same Self-Instruct prompts (built from the shipped
seeds) and the same sampling; each is timed on the whole batch after a warm-up request, and the
table prints the ratio against transformers measured in the same run. Engine start-up time is
reported separately (it is paid once per run).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded:smollm2-135m-instruct")
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--backends", default="transformers,vllm")
    args = ap.parse_args()

    from core import runtime_env

    runtime_env.configure(Path(os.environ.get("GERMINATE_HOME", "germinate-data")).resolve())
    from core.config import GenerateConfig, Sampling, TeacherConfig
    from core.models import resolve_model
    from core.records import load_tasks
    from generators import self_instruct as si
    from generators.teachers import TransformersTeacher, VLLMTeacher

    # Chat messages for every request (no Korean hand-off): both backends get the same batch.
    cfg = GenerateConfig(teacher=TeacherConfig(model=args.model, max_concurrency=args.prompts), language_teachers={})
    path = resolve_model(cfg.teacher.model)
    requests = si.instruction_requests(load_tasks(cfg.seeds), [], cfg, 0, args.prompts)
    batch, seeds = [r.messages for r in requests], [r.seed for r in requests]
    # Sampled like real generation; no schema so both backends do the same work.
    sampling = Sampling(temperature=0.9, top_p=0.95, max_tokens=args.max_tokens)
    rows = []
    for name in args.backends.split(","):
        t0 = time.perf_counter()
        teacher = (VLLMTeacher if name == "vllm" else TransformersTeacher)(cfg.teacher, path)
        startup = time.perf_counter() - t0
        teacher.complete(batch[:1], Sampling(max_tokens=8), seeds[:1])  # warm-up
        t0 = time.perf_counter()
        out = teacher.complete(batch, sampling, seeds)
        elapsed = time.perf_counter() - t0
        tokens = sum(c.completion_tokens for c in out)
        rows.append((name, startup, tokens, elapsed, tokens / elapsed))
        teacher.close()
    base = next((r[4] for r in rows if r[0] == "transformers"), rows[0][4])
    print(f"machine: {machine()}")
    print(f"model: {args.model}; {args.prompts} prompts, max {args.max_tokens} new tokens, sampled")
    print(f"{'backend':<14}{'startup s':>10}{'tokens':>9}{'gen s':>9}{'tokens/s':>10}{'ratio':>8}")
    for name, startup, tokens, elapsed, tps in rows:
        print(f"{name:<14}{startup:>10.1f}{tokens:>9d}{elapsed:>9.1f}{tps:>10.1f}{tps / base:>7.2f}x")


if __name__ == "__main__":
    main()
