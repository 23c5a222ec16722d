"""Start-up time of the interactive commands, against baselines measured in the same run.

    python bench/startup.py            # 3 tries per command, medians
    python bench/startup.py --tries 5

Each command runs as a new process, as a person types it, on a data root made here (a run from
`curate --input` of tests/data/review/rows.jsonl, no model). Baselines: `python -c pass` (the
interpreter) and `germinate --help` (importing the CLI). `review` is timed from start until its
page's API answers. "curate 1 row, Prefect flow" runs the `curate` flow on the same one-row file
in a fresh process: what `curate --input` did before it ran without Prefect.

Wall time is what a person waits; on a shared machine it swells with the load, so the CPU time
of the process (user + system, children included) is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROWS = REPO / "tests" / "data" / "review" / "rows.jsonl"
ONE_ROW = '{"instruction": "다음 문장을 영어로 번역해 주세요.", "input": "오늘 날씨가 좋네요.", "output": "The weather is nice today."}\n'
FLOW_CURATE = """
import sys
from pathlib import Path
from core import runtime_env
root = Path(sys.argv[1]); runtime_env.configure(root)
from core.config import PipelineConfig, dump_config
from core.inputs import read_candidates
from core.store import RunDir, atomic_write_jsonl, new_run_id
from flows.curate import curate_flow
run_id = new_run_id("flow-")
run = RunDir.create(root, run_id, dump_config(PipelineConfig()), "curate")
atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in read_candidates(Path(sys.argv[2]), run_id)])
curate_flow(PipelineConfig().curate, str(root), run_id, use_pool=False, card={"source": sys.argv[2]})
"""


def env() -> dict[str, str]:
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.setdefault("GERMINATE_CACHE", str(REPO / ".cache"))
    return e


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of `argv`."""
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(argv, cwd=REPO, env=env(), capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}")
    return took, _cpu() - cpu


def timed_review(germinate: list[str], root: Path, run_id: str) -> tuple[float, float]:
    """Seconds from start until the review page's API answers (cpu: the whole process)."""
    started, cpu = time.perf_counter(), _cpu()
    proc = subprocess.Popen([*germinate, "review", run_id, "--port", "0", "--data-root", str(root)], cwd=REPO,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://\S+/", line)
        if url is None:
            raise SystemExit(f"review did not start: {line}{proc.stderr.read()[-500:]}")
        with urllib.request.urlopen(url.group(0) + "api/summary", timeout=60) as response:
            response.read()
        took = time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    return took, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    germinate = [py, "-m", "germinate"]
    with tempfile.TemporaryDirectory(prefix="germinate-startup-") as tmp:
        root = Path(tmp) / "root"
        one = Path(tmp) / "one.jsonl"
        one.write_text(ONE_ROW, encoding="utf-8")
        timed([*germinate, "curate", "--input", str(ROWS), "--data-root", str(root)])
        run_id = sorted(p.name for p in (root / "runs").iterdir())[0]
        commands = {
            "python -c pass (baseline)": lambda: timed([py, "-c", "pass"]),
            "germinate --help (baseline)": lambda: timed([*germinate, "--help"]),
            "runs": lambda: timed([*germinate, "runs", "--data-root", str(root)]),
            "inspect RUN": lambda: timed([*germinate, "inspect", run_id, "--data-root", str(root)]),
            "refilter RUN --set near_duplicate.threshold=0.8": lambda: timed(
                [*germinate, "refilter", run_id, "--set", "near_duplicate.threshold=0.8", "--data-root", str(root)]),
            "curate --input (1 row)": lambda: timed([*germinate, "curate", "--input", str(one), "--data-root", str(root)]),
            "review RUN (until the API answers)": lambda: timed_review(germinate, root, run_id),
            "curate 1 row, Prefect flow (before)": lambda: timed([py, "-c", FLOW_CURATE, str(root), str(one)]),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.tries):  # interleaved, so a burst of load hits every command alike
            for name, run in commands.items():
                results[name].append(run())
    wall = {name: statistics.median(w for w, _ in times) for name, times in results.items()}
    cpu = {name: statistics.median(c for _, c in times) for name, times in results.items()}
    base, cli = wall["python -c pass (baseline)"], wall["germinate --help (baseline)"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; medians of {args.tries} tries")
    print("| command | wall s | cpu s | wall x python -c pass | wall x germinate --help |")
    print("|---|---:|---:|---:|---:|")
    for name in wall:
        print(f"| `{name}` | {wall[name]:.2f} | {cpu[name]:.2f} | {wall[name] / base:.1f} | {wall[name] / cli:.2f} |")


if __name__ == "__main__":
    main()
