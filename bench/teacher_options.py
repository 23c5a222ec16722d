"""Rows for choosing the embedded teacher: one option (model + mode) on one language's seeds.

    python bench/teacher_options.py --model embedded:gemma-3-270m --mode base --lang ko --n 130 --out DIR
    python bench/teacher_options.py --model embedded:smollm2-135m-instruct --mode chat --lang en ...

The rows come from germinate's own code: `generators.self_instruct` instruction requests in
rounds (checkpointed, the real in-process vLLM engine), then the classification and instance requests of
`flows.generate.add_instances`, sent in chunks whose replies are saved as they come (a busy
machine's OOM killer then costs one chunk, not the run; rerun the same command to continue),
then `filters.curate` with the default config against the seeds and the eval set. Seeds are
the `--lang` half of seeds/tasks.jsonl. `DIR/rows.jsonl` holds one row per candidate with its
curation verdict, for a person to label (tests/data/quality/labeled_teachers.jsonl).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import runtime_env  # noqa: E402


def bootstrap(run, seeds: list, cfg, languages: list[str], n: int) -> list:
    """Instruction rounds (generate_rounds' first step, without its instances and curation)
    until `n` unique new instructions, checkpointed per round in `instructions.json`."""
    from core.records import Candidate
    from core.store import atomic_write_json
    from flows import generate as fg
    from generators import self_instruct as si

    path = run.file("instructions.json")
    candidates = [Candidate.model_validate(c) for c in json.loads(path.read_text())] if path.exists() else []
    index = len({c.meta["request_index"] for c in candidates})
    while len(si.unique_instructions(candidates, seeds)) < n and index < cfg.requests_per_round * cfg.max_rounds:
        requests = si.instruction_requests(seeds, si.unique_instructions(candidates, seeds), cfg, index,
                                           cfg.requests_per_round, languages)
        replies = fg.ask(cfg.teacher, requests, cfg.instruction_sampling)
        candidates += si.instruction_candidates(run.run_id, requests, replies)
        index += len(requests)
        atomic_write_json(path, [c.model_dump() for c in candidates])
        print(f"instructions: {len(si.unique_instructions(candidates, seeds))}/{n}", flush=True)
    return candidates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--mode", choices=["chat", "base"], required=True)
    ap.add_argument("--lang", choices=["en", "ko"], required=True)
    ap.add_argument("--n", type=int, default=130, help="unique instructions to bootstrap")
    ap.add_argument("--requests-per-round", type=int, default=16)
    ap.add_argument("--chunk", type=int, default=32, help="classification/instance requests per engine call")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runtime_env.configure(args.out)

    from core.config import CurateConfig, GenerateConfig, Sampling
    from core.language import detect_language
    from core.paths import DEFAULT_EVAL_SET, DEFAULT_SEEDS
    from core.records import Candidate, load_tasks
    from core.store import RunDir, atomic_write_json, atomic_write_jsonl
    from filters import curate
    from flows import generate as fg
    from generators import self_instruct as si
    from generators.teacher_types import Completion

    seeds_path = args.out / f"seeds_{args.lang}.jsonl"
    seeds = [t for t in load_tasks(DEFAULT_SEEDS) if detect_language(t.instruction) == args.lang]
    seeds_path.write_text("".join(json.dumps(t.model_dump(), ensure_ascii=False) + "\n" for t in seeds), "utf-8")
    # language_teachers={}: this option's model answers every request (no Korean hand-off).
    cfg = GenerateConfig(teacher={"model": args.model, "mode": args.mode}, seeds=seeds_path, language_teachers={},
                         num_instructions=args.n, requests_per_round=args.requests_per_round, max_rounds=40)
    cur = CurateConfig()
    run_id = "options"
    run = RunDir(args.out, run_id) if (args.out / "runs" / run_id).exists() else \
        RunDir.create(args.out, run_id, cfg.model_dump_json(), "generate")
    started = time.perf_counter()
    candidates = bootstrap(run, seeds, cfg, cur.languages, args.n)
    t_instructions = time.perf_counter() - started
    parsed = [c for c in candidates if c.parse_error is None]

    progress_path = run.file("instances_progress.json")
    progress = json.loads(progress_path.read_text()) if progress_path.exists() else {"classify": [], "instance": []}

    def ask_chunked(stage: str, requests: list, sampling: Sampling) -> list[Completion]:
        done = [Completion(**r) for r in progress[stage]]
        for start in range(len(done), len(requests), args.chunk):
            done += fg.ask(cfg.teacher, requests[start : start + args.chunk], sampling)
            progress[stage] = [vars(c) for c in done]
            atomic_write_json(progress_path, progress)
            print(f"{stage}: {len(done)}/{len(requests)}", flush=True)
        return done

    cls_requests = si.classification_requests(parsed, cfg, seeds)
    cls_replies = ask_chunked("classify", cls_requests, Sampling(temperature=0.0, top_p=1.0, max_tokens=16))
    parsed = si.apply_classification(parsed, cls_replies)
    inst_requests = si.instance_requests(parsed, seeds, cfg)
    inst_replies = ask_chunked("instance", inst_requests, cfg.instance_sampling)
    name = f"{cfg.teacher.backend}:{cfg.teacher.model}"
    done = {c.id: c for c in si.apply_instances(parsed, inst_replies, name, cfg.instance_sampling, mode=cfg.teacher.mode)}
    final = [done.get(c.id, c) for c in candidates]
    total = time.perf_counter() - started

    ledger = curate([Candidate.model_validate(c.model_dump()) for c in final], cur,
                    pool=[(t.id, t.instruction) for t in seeds], eval_tasks=load_tasks(DEFAULT_EVAL_SET))
    atomic_write_jsonl(args.out / "rows.jsonl", [r.model_dump() for r in ledger])
    summary = {"option": f"{args.model}:{args.mode}:{args.lang}", "candidates": len(ledger),
               "parsed_instructions": len(parsed), "with_output": sum(1 for r in ledger if r.output),
               "kept": sum(r.verdict == "kept" for r in ledger), "instructions_s": round(t_instructions, 1),
               "total_s": round(total, 1)}
    atomic_write_json(args.out / "summary.json", summary)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
