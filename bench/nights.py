"""Consecutive nights in one data root: does the pool keep growing? (issue 17's acceptance)

    python bench/nights.py                      # 5 default nights into a fresh data root
    python bench/nights.py --nights 3 --data-root /tmp/nights --set generate.example_sampling=uniform

Each night is what a nightly schedule does before tuning: `germinate generate` (the embedded
teacher, the defaults, a fresh run seed) and `germinate curate RUN`, as separate processes, one
after the other. Prints a markdown table per night (kept, generated, rounds, pool size, novelty
figures, seconds) and whether every night after the first kept at least half as many new rows
as the first and grew the pool. Not part of `make test`: each night loads the teacher.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def germinate(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "germinate", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"germinate {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "", flush=True)


def night(root: Path, sets: list[str]) -> dict:
    before = {p.name for p in (root / "runs").iterdir()} if (root / "runs").exists() else set()
    started = time.perf_counter()
    germinate("generate", "--data-root", str(root), *[a for s in sets for a in ("--set", s)])
    (run_id,) = {p.name for p in (root / "runs").iterdir()} - before
    generated_s = time.perf_counter() - started
    germinate("curate", run_id, "--data-root", str(root), *[a for s in sets if s.startswith("curate.")
                                                             for a in ("--set", s)])
    status = json.loads((root / "runs" / run_id / "status.json").read_text(encoding="utf-8"))
    gen, cur = status["stages"]["generate"], status["stages"]["curate"]
    top = sorted(cur["drops_by_reason"].items(), key=lambda kv: -kv[1])[:2]
    return {"run": run_id, "kept": cur["kept"], "generated": cur["generated"], "rounds": len(gen["rounds"]),
            "top drops": ", ".join(f"{k} {v}" for k, v in top), "seconds": round(time.perf_counter() - started),
            "generate s": round(generated_s), **cur["novelty"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nights", type=int, default=5)
    ap.add_argument("--data-root", type=Path, default=None)
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args()
    root = args.data_root or Path(tempfile.mkdtemp(prefix="germinate-nights-"))
    print(f"data root: {root}", flush=True)
    rows = []
    for n in range(1, args.nights + 1):
        rows.append(night(root, args.sets))
        print(json.dumps(rows[-1]), flush=True)
    print("\n| night | kept | generated | rounds | pool | new verb-object pairs | dropped as earlier nights' "
          "duplicates | top drops | minutes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, r in enumerate(rows, 1):
        print(f"| {n} | {r['kept']} | {r['generated']} | {r['rounds']} | {r['pool_before']} → {r['pool_after']} | "
              f"{r['new_pairs']} | {r['dup_of_earlier_nights_share']:.0%} | {r['top drops']} | "
              f"{r['seconds'] / 60:.1f} |")
    first = rows[0]["kept"]
    ok = all(r["kept"] * 2 >= first and r["pool_after"] > r["pool_before"] for r in rows[1:])
    print(f"\nevery night after the first kept >= {first / 2:g} new rows and grew the pool: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
