"""kill -9 at random points, then resume: nothing accepted is lost and nothing is doubled.

Each seeded trial forks a worker (`kill9_worker.py`, germinate's real generate/curate/pool/
tune/registry code with a deterministic fake teacher and a tiny student) that runs two nights into a fresh data root,
SIGKILLs it after a random delay (once or twice), reruns it to completion and compares every
file with an uninterrupted reference run of the same run seed.

Totals are printed (`pytest -s`) and written to `<tmp>/kill9_totals.json`:

    GERMINATE_FAULT_TRIALS=200 pytest tests/faults/test_kill9.py -s
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.records import Candidate
from core.store import read_jsonl_rows
from evals import gate
from filters import REASONS, check_invariant
from reports.outputs import read_ledger

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEEDS = REPO / "seeds" / "tasks.jsonl"
NIGHTS = ("night-1", "night-2")
RUN_SEEDS = 4  # distinct run seeds; trials share their reference runs
# What a temp file or directory of atomic_write_* / atomic_dir / RunDir.create looks like.
TEMP_NAME = re.compile(r"^\..+\.(tmp|[a-z0-9_]{8})$")


class ForkServer:
    def __init__(self, scratch: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "kill9_worker.py"), str(REPO), str(SEEDS), str(scratch)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=scratch)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise RuntimeError(f"kill9 fork server did not start: {line!r}")

    def go(self, root: Path, run_seed: int, kill_after: float,
           stage: str | None = None) -> tuple[int, bool, float, dict[str, float]]:
        """(exit code, whether it was killed, seconds, second at which each stage began) of one
        worker run, killed `kill_after` seconds after its start or after it enters `stage`."""
        self.proc.stdin.write(f"go {root} {run_seed} {kill_after:.4f} {stage or ''}\n")
        self.proc.stdin.flush()
        _, code, killed, seconds, timeline = self.proc.stdout.readline().split()
        return int(code), killed == "1", float(seconds), json.loads(timeline)

    def close(self) -> None:
        self.proc.kill()  # idle between commands: nothing of its own to lose
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def forkserver(tmp_path_factory):
    server = ForkServer(tmp_path_factory.mktemp("kill9-scratch"))
    yield server
    server.close()


def _ids(rows) -> list[str]:
    return [r["id"] if isinstance(r, dict) else r.id for r in rows]


def _dups(ids: list[str]) -> int:
    return sum(n - 1 for n in Counter(ids).values())


def _adapter(path: Path) -> dict:
    """What training produced: its record (data fingerprint, steps, loss curve) and whether the
    weights file is there."""
    info = json.loads((path / "germinate_adapter.json").read_text(encoding="utf-8"))
    return {"fingerprint": info["data_fingerprint"], "examples": info["examples"], "steps": info["steps"],
            "loss_curve": info["loss_curve"], "weights": (path / "adapter_model.safetensors").is_file()}


STAGES = ("generate", "curate", "tune", "evaluate")


def killed_in(root: Path) -> str:
    """The stage a kill interrupted: the first one not marked done, of the first unfinished night."""
    for night in NIGHTS:
        try:
            status = json.loads((root / "runs" / night / "status.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return "generate"
        if status.get("status") != "completed":
            return next((st for st in STAGES if st not in status.get("stages", {})), "finishing")
    return "after the end"


def snapshot(root: Path) -> dict:
    """Everything a user reads back from a data root, through germinate's own readers."""
    from datasets import load_from_disk

    snap: dict = {"nights": {}}
    for night in NIGHTS:
        run = root / "runs" / night
        status = json.loads((run / "status.json").read_text(encoding="utf-8"))
        candidates = [Candidate.model_validate(r) for r in read_jsonl_rows(run / "candidates.jsonl")]
        ledger = read_ledger(run / "ledger.parquet")
        kept = [r for r in ledger if r.verdict == "kept"]
        snap["nights"][night] = {
            "status": status,
            "candidates": candidates,
            "ledger": ledger,
            "kept": {r.id: (r.instruction, r.input, r.output) for r in kept},
            "kept_ids": _ids(kept),
            "data_ids": _ids(read_jsonl_rows(run / "data.jsonl")),
            "alpaca": json.loads((run / "alpaca.json").read_text(encoding="utf-8")),
            "dataset_ids": list(load_from_disk(str(run / "dataset"))["id"]),
            "train_rows": read_jsonl_rows(run / "train.jsonl"),
            "adapter": _adapter(run / "adapter"),
        }
    snap["pool"] = read_jsonl_rows(root / "pool" / "pool.jsonl")
    snap["registry_raw"] = json.loads((root / "registry.json").read_text(encoding="utf-8"))
    snap["registry"] = gate.load(root)
    snap["temp_leftovers"] = [str(p.relative_to(root)) for p in root.rglob(".*") if TEMP_NAME.match(p.name)]
    return snap


def compare(ref: dict, got: dict) -> dict:
    """Rows checked, lost and duplicated, and a list of every other disagreement."""
    out = {"rows_checked": 0, "lost": 0, "duplicated": 0, "problems": [], "promoted_flag_differs": 0}
    problems = out["problems"]
    for night in NIGHTS:
        r, g = ref["nights"][night], got["nights"][night]
        cand_ids, ledger_ids = _ids(g["candidates"]), _ids(g["ledger"])
        out["rows_checked"] += len(cand_ids) + len(ledger_ids)
        out["duplicated"] += _dups(cand_ids) + _dups(ledger_ids) + _dups(g["data_ids"])
        out["lost"] += len(set(r["kept"]) - set(g["kept"]))
        if cand_ids != _ids(r["candidates"]):
            problems.append(f"{night}: candidates differ from the reference run")
        if set(g["kept"]) - set(r["kept"]):
            problems.append(f"{night}: kept rows the reference run dropped: {sorted(set(g['kept']) - set(r['kept']))[:5]}")
        if any(g["kept"][k] != r["kept"][k] for k in set(g["kept"]) & set(r["kept"])):
            problems.append(f"{night}: kept rows' text differs from the reference run")
        try:
            check_invariant(g["candidates"], g["ledger"])
        except ValueError as exc:
            problems.append(f"{night}: ledger invariant: {exc}")
        unknown = {x for row in g["ledger"] for x in row.reasons} - set(REASONS)
        if unknown:
            problems.append(f"{night}: unknown drop reasons {sorted(unknown)}")
        if not (g["data_ids"] == g["dataset_ids"] == g["kept_ids"]) or len(g["alpaca"]) != len(g["kept_ids"]):
            problems.append(f"{night}: data.jsonl / dataset / alpaca.json disagree with the ledger's kept rows")
        stages = g["status"].get("stages", {})
        if g["train_rows"] != r["train_rows"]:
            problems.append(f"{night}: train.jsonl differs from the reference run")
        if g["adapter"] != r["adapter"] or not g["adapter"]["weights"]:
            problems.append(f"{night}: adapter {g['adapter']} differs from the reference run's {r['adapter']}")
        if g["status"].get("status") != "completed" or not set(STAGES) <= set(stages):
            problems.append(f"{night}: status {g['status'].get('status')} with stages {sorted(stages)}")
        elif stages["curate"]["kept"] != len(g["kept_ids"]):
            problems.append(f"{night}: status says {stages['curate']['kept']} kept, ledger has {len(g['kept_ids'])}")
    pool_ids = _ids(got["pool"])
    out["rows_checked"] += len(pool_ids)
    out["duplicated"] += _dups(pool_ids)
    out["lost"] += len(set(_ids(ref["pool"])) - set(pool_ids))
    if got["pool"] != ref["pool"]:
        problems.append("pool.jsonl differs from the reference run")
    history = got["registry"]["history"]
    out["duplicated"] += _dups([h["run_id"] for h in history])
    if [(h["run_id"], h["scores"]) for h in history] != [(h["run_id"], h["scores"]) for h in ref["registry"]["history"]]:
        problems.append(f"registry history {[h['run_id'] for h in history]} differs from the reference run")
    champ, ref_champ = got["registry"]["champion"], ref["registry"]["champion"]
    if (champ or {}).get("run_id") != (ref_champ or {}).get("run_id"):
        problems.append(f"registry champion {champ and champ['run_id']} != reference {ref_champ and ref_champ['run_id']}")
    # A run killed between the registry write and its stage mark keeps the recorded decision
    # on resume (test_resume_gate.py), so each history entry says what the reference says.
    out["promoted_flag_differs"] = sum(a["promoted"] != b["promoted"]
                                       for a, b in zip(history, ref["registry"]["history"]))
    if out["promoted_flag_differs"]:
        problems.append(f"{out['promoted_flag_differs']} history entries' promoted flag differs from the reference")
    return out


def test_kill9_then_resume_loses_and_duplicates_nothing(forkserver, tmp_path, trials):
    refs: dict[int, dict] = {}
    full_seconds: dict[int, float] = {}  # how long the reference run took, per run seed
    windows: dict[int, dict[str, float]] = {}  # how long each stage of the reference run took
    totals = Counter(trials=0, kills=0, finished_before_kill=0, rows_checked=0, lost=0, duplicated=0,
                     crashes=0, temp_leftovers=0, promoted_flag_differs=0)
    kills_in: Counter = Counter()  # the stage each kill interrupted, from the data root it left
    failures: list[str] = []
    for trial in range(trials):
        rng = random.Random(f"kill9:{trial}")
        run_seed = trial % RUN_SEEDS
        if run_seed not in refs:
            ref_root = tmp_path / f"reference-{run_seed}"
            code, _, full_seconds[run_seed], timeline = forkserver.go(ref_root, run_seed, -1)
            assert code == 0, Path(f"{ref_root}.log").read_text()
            refs[run_seed] = snapshot(ref_root)
            starts = sorted(timeline.items(), key=lambda kv: kv[1])
            windows[run_seed] = {a: t2 - t1 for (a, t1), (_, t2) in zip(starts, starts[1:])}
        ref = refs[run_seed]
        root = tmp_path / f"trial-{trial:03d}"
        totals["trials"] += 1
        # The first kill aims at each stage in turn (generation, curation, training, the
        # registry update) of a random night, at a random point of the reference run's time
        # in that stage; where it lands is read back from the data root it leaves.
        target = f"{rng.choice(NIGHTS)}/{STAGES[trial % len(STAGES)]}"
        delay = rng.uniform(0.0, windows[run_seed][target])
        for _ in range(5):  # a run that finishes before its kill is retried, aiming earlier
            code, killed, seconds, _ = forkserver.go(root, run_seed, delay, target)
            if killed:
                totals["kills"] += 1
                kills_in[killed_in(root)] += 1
                break
            totals["finished_before_kill"] += 1
            if code != 0:
                totals["crashes"] += 1
                failures.append(f"trial {trial}: uninterrupted run exited {code}")
            delay /= 2
            shutil.rmtree(root)
        if rng.random() < 1 / 3:  # sometimes the resumed run is killed too
            _, killed, _, _ = forkserver.go(root, run_seed, rng.uniform(0.0, full_seconds[run_seed]))
            totals["kills"] += killed
            if killed:
                kills_in[killed_in(root)] += 1
        code, _, _, _ = forkserver.go(root, run_seed, -1)  # resume to completion
        if code != 0:
            totals["crashes"] += 1
            log = Path(f"{root}.log").read_text(errors="replace").strip().splitlines()
            failures.append(f"trial {trial}: resume exited {code}: {log[-1] if log else ''}")
            continue
        try:
            got = snapshot(root)
        except Exception as exc:  # any reader failing on the resumed data root is a crash
            totals["crashes"] += 1
            failures.append(f"trial {trial}: reading the resumed run failed: {type(exc).__name__}: {exc}")
            continue
        result = compare(ref, got)
        for key in ("rows_checked", "lost", "duplicated", "promoted_flag_differs"):
            totals[key] += result[key]
        totals["temp_leftovers"] += len(got["temp_leftovers"])
        failures += [f"trial {trial}: temp file left behind: {name}" for name in got["temp_leftovers"]]
        failures += [f"trial {trial}: {p}" for p in result["problems"]]

    report = dict(totals, kills_in=dict(kills_in), stage_seconds=windows, failures=failures)
    (tmp_path / "kill9_totals.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nkill9 totals: {json.dumps(dict(totals))}\nkills by stage: {json.dumps(dict(kills_in))}"
          f"\nkill9 totals file: {tmp_path / 'kill9_totals.json'}")
    assert totals["lost"] == 0 and totals["duplicated"] == 0, report
    assert totals["crashes"] == 0 and not failures, report
    # Kills aimed at each stage (five of 20 trials each) reached training and at least two
    # other stages. Where each lands depends on timing (evaluation's window is a few ms, and
    # a loaded machine stretches some stages more than others), so that much is asserted and
    # the rest reported.
    if trials >= 4 * len(STAGES):
        assert "tune" in kills_in and len(set(kills_in) & set(STAGES)) >= 3, kills_in
