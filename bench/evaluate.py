"""The evaluate stage of a second night, with and without the answer cache, in the same run.

    .venv/bin/python bench/evaluate.py --data-root germinate-data --adapter germinate-data/runs/RUN/adapter

On a data root whose registry has a champion, evaluates ADAPTER (a candidate) against base and
champion on the configured eval set (default seeds/eval.jsonl, 158 items), recording nothing:

1. baseline, `cache_answers: false`: base, champion and candidate all answer and all reference
   losses are computed, which is what the evaluate stage did before the cache;
2. the cache filled with base and champion (as earlier nights leave it), then the candidate
   evaluated: only its answers are computed, as on a real second night (the candidate's own
   cache entry is removed first, so a rerun measures the same thing).

Prints both times and the ratio. Same process, same machine load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import runtime_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True, type=Path)
    parser.add_argument("--adapter", required=True, type=Path)
    parser.add_argument("--set", action="append", default=[], dest="sets", help="config override key=value")
    args = parser.parse_args()
    root = args.data_root.resolve()
    runtime_env.configure(root)
    from core.config import load_config, parse_override
    from core.models import resolve_model
    from evals import answer_cache
    from flows.evaluate import cache_keys, evaluate_flow
    from flows.evaluate_checks import eval_items

    cfg = load_config(None, [parse_override(s) for s in args.sets])

    def once(cache: bool, candidate: Path | None) -> tuple[float, dict]:
        ev = cfg.evaluate.model_copy(update={"cache_answers": cache})
        started = time.perf_counter()
        result = evaluate_flow(ev, cfg.tune.student, cfg.generate.teacher, str(root),
                               candidate=str(candidate) if candidate else None, record=False)
        return time.perf_counter() - started, result

    baseline, result = once(False, args.adapter.resolve())
    print(f"no cache ({', '.join(result['models'])} answered): {baseline:.1f} s", flush=True)
    if "champion" not in result["models"]:
        sys.exit("the registry has no loadable champion: run two nights first")
    once(True, None)  # base and champion into the cache, if earlier nights did not leave them
    key = cache_keys(cfg.evaluate, resolve_model(cfg.tune.student), eval_items(cfg.evaluate.eval_set),
                     {"candidate": args.adapter.resolve()})["candidate"]
    (root / answer_cache.CACHE_DIR / f"{key}.json").unlink(missing_ok=True)
    cached, result = once(True, args.adapter.resolve())
    state = {n: m["answers"] for n, m in result["models"].items()}
    print(f"cache ({state}): {cached:.1f} s", flush=True)
    print(f"{result['items']} items: evaluate stage without / with the answer cache: {baseline / cached:.2f}x "
          f"(load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
