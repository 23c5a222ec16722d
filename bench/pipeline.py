"""End-to-end stage timings of `germinate run` (what `make run` does) on this machine.

    python bench/pipeline.py                  # defaults, into a fresh temporary data root
    python bench/pipeline.py --set generate.num_instructions=48

Runs the real pipeline in a subprocess and prints each stage's wall time from the run's
status.json, with its share of the total (the baseline the stages are compared with).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teacher import machine  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", default=[], dest="sets")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="germinate-bench-"))
    cmd = [sys.executable, "-m", "germinate", "run", "--data-root", str(root), "--run-id", "bench"]
    for s in args.sets:
        cmd += ["--set", s]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    total = time.perf_counter() - t0
    stages = json.loads((root / "runs" / "bench" / "status.json").read_text())["stages"]
    print(f"machine: {machine()}")
    print(f"{'stage':<12}{'seconds':>9}{'share':>8}")
    for name in ("generate", "curate", "tune", "evaluate"):
        if name in stages:
            s = stages[name].get("seconds", 0.0)
            print(f"{name:<12}{s:>9.1f}{s / total:>8.1%}")
    print(f"{'total':<12}{total:>9.1f}{1:>8.0%}   (includes start-up: Prefect, model loads)")
    print(f"data root: {root}")


if __name__ == "__main__":
    main()
