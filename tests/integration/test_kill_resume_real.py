"""Nightly operations with the real models: kill -9, resume, and a second night on the pool.

One data root, four `germinate` processes (vLLM teacher in-process, real LoRA training):

1. `germinate run` night-1, SIGKILLed (whole process group) once a generation round is
   checkpointed;
2. `germinate resume night-1`, SIGKILLed after the first logged training step;
3. `germinate resume night-1`, to completion (tune + evaluate + promote);
4. `germinate run` night-2 with the same config and run seed, uninterrupted.

Night 2 is the uninterrupted run with the same seed: it rebuilds night 1's requests
(per-request seeds derive from the run seed and the request index). Checked: the kills land
where intended, the lock files of the killed processes do not block `resume`, no partial
adapter or temp file is left, finished rounds and stages are kept rather than redone, no row
is duplicated, night 1's curated set is what the filters make of its candidates, and night 2
drops each of night 1's accepted instructions it regenerates as a duplicate while the pool
holds exactly the novel rows of both nights. That night 1 equals night 2 row for row is
checked too: that needs the teacher to compile grammars synchronously (vLLM's asynchronous
compilation makes its batches, hence its replies, depend on timing; generators/teachers.py).
The fake-teacher fault suite
(tests/faults) covers random kill points; this one covers the real engines.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from core.config import load_config
from core.paths import DEFAULT_EVAL_SET
from core.records import Candidate, load_tasks
from core.store import read_jsonl_rows
from core.text import normalize
from filters import curate
from generators.self_instruct import request_seed
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ROUNDS, PER_ROUND = 2, 2
# Tiny but complete: exactly two rounds (num_instructions is never reached), short replies,
# three LoRA steps of one example each, one eval item, no judge. The teacher keeps structured
# output on (the default): without a grammar the 135M teacher's replies rarely parse.
SETS = [
    "generate.num_instructions=50", f"generate.requests_per_round={PER_ROUND}", f"generate.max_rounds={ROUNDS}",
    "generate.new_per_request=3", "generate.instruction_sampling.max_tokens=64",
    "generate.instance_sampling.max_tokens=48",
    "tune.max_steps=3", "tune.batch_size=1", "tune.include_seeds=false", "tune.max_length=256",
    "evaluate.max_tokens=8", "evaluate.judge=false",
]
# What a temp file or directory of atomic_write_* / atomic_dir looks like.
TEMP_NAME = re.compile(r"^\..+\.(tmp|[a-z0-9_]{8})$")


class Cli:
    """`germinate` as a subprocess in its own process group, output to a log file."""

    def __init__(self, root: Path, logs: Path) -> None:
        self.root, self.logs = root, logs
        # The child configures Prefect under its own data root, as a user's shell would.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        self.env.pop("GERMINATE_HOME", None)
        self.env["PYTHONPATH"] = str(REPO)
        self.seconds: dict[str, float] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "germinate", *args, "--data-root", str(self.root)],
                                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.name, proc.started = name, time.monotonic()
        return proc

    def log(self, proc: subprocess.Popen) -> str:
        return (self.logs / f"{proc.name}.log").read_text(errors="replace")

    def finish(self, proc: subprocess.Popen, timeout_s: float = 900) -> None:
        code = proc.wait(timeout=timeout_s)
        self.seconds[proc.name] = round(time.monotonic() - proc.started, 1)
        assert code == 0, f"{proc.name} exited {code}:\n{self.log(proc)[-3000:]}"

    def kill_when(self, proc: subprocess.Popen, reached, timeout_s: float = 900) -> None:
        """SIGKILL the whole process group as soon as `reached()` is true."""
        deadline = time.monotonic() + timeout_s
        while not reached():
            assert proc.poll() is None, f"{proc.name} exited {proc.returncode} before the kill point:\n" \
                                        f"{self.log(proc)[-3000:]}"
            assert time.monotonic() < deadline, f"{proc.name}: kill point not reached in {timeout_s} s"
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        self.seconds[proc.name] = round(time.monotonic() - proc.started, 1)
        assert proc.returncode == -signal.SIGKILL
        for _ in range(50):  # nothing of the group (Prefect's temporary server, ...) lives on
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise AssertionError(f"processes of {proc.name}'s group survived SIGKILL")


def _status(run: Path) -> dict:
    return json.loads((run / "status.json").read_text(encoding="utf-8"))


def _checkpointed(run: Path) -> int:
    try:
        return json.loads((run / "checkpoint.json").read_text(encoding="utf-8"))["next_index"]
    except FileNotFoundError:
        return 0


def _suffix(row_id: str, run_id: str) -> str:
    assert row_id.startswith(f"{run_id}-"), row_id
    return row_id[len(run_id) + 1:]


def _comparable(c: Candidate, run_id: str) -> dict:
    """A candidate without what names its run."""
    row = c.model_dump(include=set(Candidate.model_fields))
    row["id"] = _suffix(c.id, run_id)
    row["meta"] = {k: v for k, v in row["meta"].items() if k != "run_id"}
    return row


def _bootstrapped(c: Candidate) -> tuple:
    """What instruction bootstrapping decided about a candidate (the instance stage adds the rest)."""
    error = c.parse_error if c.parse_error and c.parse_error.startswith("instructions:") else None
    return c.id, c.instruction, error, c.meta.get("request_index"), c.meta.get("request_seed")


def _dups(ids: list[str]) -> int:
    return sum(n - 1 for n in Counter(ids).values())


def _temp_leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "runs").rglob(".*") if TEMP_NAME.match(p.name))


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nights")
    eval_one = tmp / "eval_one.jsonl"
    eval_one.write_text(DEFAULT_EVAL_SET.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    root, logs = tmp / "data", tmp / "logs"
    logs.mkdir()
    cli = Cli(root, logs)
    sets = [a for s in SETS + [f"evaluate.eval_set={eval_one}"] for a in ("--set", s)]
    night1 = root / "runs" / "night-1"
    seen: dict = {}

    # 1. Killed in generation: at least one round checkpointed, generation not finished.
    proc = cli.start("run-killed-in-generation", "run", "--run-id", "night-1", *sets)
    cli.kill_when(proc, lambda: _checkpointed(night1) >= PER_ROUND)
    seen["checkpoint_at_kill"] = json.loads((night1 / "checkpoint.json").read_text(encoding="utf-8"))
    seen["stages_after_kill_1"] = sorted(_status(night1)["stages"])

    # 2. Resumed, then killed in training: after the first logged optimizer step.
    proc = cli.start("resume-killed-in-training", "resume", "night-1")
    cli.kill_when(proc, lambda: "'loss'" in cli.log(proc))
    seen["stages_after_kill_2"] = sorted(_status(night1)["stages"])
    seen["partial_adapters"] = [p.name for p in night1.glob(".adapter.*")]
    seen["curated_at_kill_2"] = (night1 / "data.jsonl").read_text(encoding="utf-8")
    seen["pool_at_kill_2"] = (root / "pool" / "pool.jsonl").read_text(encoding="utf-8")

    # 3. Resumed to completion.
    proc = cli.start("resume-to-completion", "resume", "night-1")
    cli.finish(proc)
    seen["champion_after_night_1"] = (json.loads((root / "registry.json").read_text())["champion"] or {}).get("run_id")

    # 4. The second night: same config and run seed, uninterrupted.
    proc = cli.start("second-night", "run", "--run-id", "night-2", *sets)
    cli.finish(proc)
    seen["seconds"] = cli.seconds
    print("\nkill/resume/second-night seconds:", json.dumps(cli.seconds))
    return {"root": root, "seen": seen, "config": load_config(night1 / "config.yaml")}


def test_kill9_in_generation_and_in_training_then_resume_finishes_and_keeps_finished_work(nights):
    root, seen = nights["root"], nights["seen"]
    night1 = root / "runs" / "night-1"
    # The kills landed where intended: after a checkpointed round with generation unfinished,
    # and between training steps.
    ckpt = seen["checkpoint_at_kill"]
    assert 1 <= ckpt["next_index"] // PER_ROUND < ROUNDS
    assert "generate" not in seen["stages_after_kill_1"]
    assert {"generate", "curate"} <= set(seen["stages_after_kill_2"]) and "tune" not in seen["stages_after_kill_2"]
    assert seen["partial_adapters"], "no partial adapter: the second kill did not land in training"

    status = _status(night1)
    assert status["status"] == "completed"
    assert {"generate", "curate", "tune", "evaluate"} <= set(status["stages"])
    assert status["stages"]["tune"]["steps"] == 3
    assert (night1 / "adapter" / "adapter_model.safetensors").exists()
    # Recorded once, as decided: the gate (one eval item, 3 steps) may or may not promote it.
    decision = json.loads((night1 / "eval.json").read_text())["decision"]
    assert (seen["champion_after_night_1"] == "night-1") is decision["promote"], decision["reason"]
    assert status["stages"]["evaluate"]["promote"] is decision["promote"]
    # The partial adapter of the killed training is gone, and no other temp file is left.
    assert _temp_leftovers(root) == []

    # Finished work is kept, not redone: the rounds checkpointed before the first kill are in
    # the final candidates as they were, and the curated set and the pool written before the
    # second kill are unchanged.
    got = [Candidate.model_validate(r) for r in read_jsonl_rows(night1 / "candidates.jsonl")]
    before = [Candidate.model_validate(c) for c in ckpt["candidates"]]
    assert [_bootstrapped(c) for c in got[:len(before)]] == [_bootstrapped(c) for c in before]
    assert (night1 / "data.jsonl").read_text(encoding="utf-8") == seen["curated_at_kill_2"]
    assert (root / "pool" / "pool.jsonl").read_text(encoding="utf-8").startswith(seen["pool_at_kill_2"])

    # Every request once, with the seed derived from (run seed, stage, index); no row twice.
    requests = [(r["stage"], r["index"], r["seed"]) for r in read_jsonl_rows(night1 / "requests.jsonl")]
    for stage in ("instructions", "classify", "instance"):
        indices = [i for st, i, _ in requests if st == stage]
        assert indices == list(range(ROUNDS * PER_ROUND if stage == "instructions" else len(indices))), stage
    run_seed = nights["config"].generate.run_seed
    assert all(seed == request_seed(run_seed, stage, i) for stage, i, seed in requests)
    data = read_jsonl_rows(night1 / "data.jsonl")
    ledger = read_ledger(night1 / "ledger.parquet")
    duplicates = _dups([c.id for c in got]) + _dups([r.id for r in ledger]) + _dups([d["id"] for d in data])
    assert duplicates == 0
    # The curated set is what the filters make of the resumed run's candidates.
    kept = [r.id for r in _reference_curation(nights["config"], got) if r.verdict == "kept"]
    assert [d["id"] for d in data] == [r.id for r in ledger if r.verdict == "kept"] == kept
    assert status["stages"]["curate"]["kept"] == len(data) == status["stages"]["curate"]["added_to_pool"]


def _reference_curation(cfg, candidates):
    """What curate_flow makes of `candidates` on an empty pool: the seeds are the only earlier rows."""
    seeds = load_tasks(cfg.generate.seeds, "seed")
    return curate(candidates, cfg.curate, [(t.id, t.instruction) for t in seeds],
                  load_tasks(cfg.curate.decontamination.eval_set, "eval"))


def test_resumed_run_equals_an_uninterrupted_run_with_the_same_seed(nights):
    """Night 2 (same config and seed, never killed) is the uninterrupted reference."""
    root = nights["root"]
    night1, night2 = root / "runs" / "night-1", root / "runs" / "night-2"
    got = [Candidate.model_validate(r) for r in read_jsonl_rows(night1 / "candidates.jsonl")]
    ref = [Candidate.model_validate(r) for r in read_jsonl_rows(night2 / "candidates.jsonl")]
    # Night 1's curated set vs the uninterrupted run's, curated as night 1 was (no pool).
    ref_kept = {_suffix(r.id, "night-2") for r in _reference_curation(nights["config"], ref) if r.verdict == "kept"}
    data = read_jsonl_rows(night1 / "data.jsonl")
    kept = {_suffix(d["id"], "night-1") for d in data}
    missing = sorted(ref_kept - kept)
    same = sum(a == b for a, b in zip([_comparable(c, "night-1") for c in got],
                                      [_comparable(c, "night-2") for c in ref]))
    print(f"\ncandidates identical to the uninterrupted run: {same} of {len(ref)}; curated rows: {len(data)} "
          f"(uninterrupted: {len(ref_kept)}), duplicates: {_dups([d['id'] for d in data])}, missing: {len(missing)}")
    assert ref_kept, "the tiny run kept nothing: nothing to compare"
    assert missing == [] and kept == ref_kept
    assert [_comparable(c, "night-1") for c in got] == [_comparable(c, "night-2") for c in ref]
    requests = [(r["stage"], r["index"], r["seed"], r["text"]) for r in read_jsonl_rows(night1 / "requests.jsonl")]
    assert requests == [(r["stage"], r["index"], r["seed"], r["text"])
                        for r in read_jsonl_rows(night2 / "requests.jsonl")]


def test_second_night_drops_the_first_nights_instructions_and_the_pool_adds_up(nights):
    root = nights["root"]
    night1, night2 = root / "runs" / "night-1", root / "runs" / "night-2"
    kept1 = {normalize(r.instruction): r.id for r in read_ledger(night1 / "ledger.parquet") if r.verdict == "kept"}
    ledger2 = read_ledger(night2 / "ledger.parquet")
    # Same seed, same requests: night 2 asks what night 1 asked, so it regenerates (some of)
    # night 1's instructions; each one that comes back is dropped as a duplicate of night 1's.
    regenerated = [r for r in ledger2 if normalize(r.instruction) in kept1]
    assert regenerated, "night 2 regenerated none of night 1's accepted instructions"
    for row in regenerated:
        assert row.verdict == "dropped" and "exact_duplicate" in row.reasons, row
        assert row.neighbour_id == kept1[normalize(row.instruction)]

    s1, s2 = _status(night1)["stages"]["curate"], _status(night2)["stages"]["curate"]
    pool = read_jsonl_rows(root / "pool" / "pool.jsonl")
    print(f"\npool: {len(pool)} rows = night 1 {s1['added_to_pool']} + night 2 {s2['added_to_pool']}; "
          f"night 2 regenerated {len({normalize(r.instruction) for r in regenerated})} of night 1's {len(kept1)} "
          f"accepted instructions ({len(regenerated)} rows) and dropped them")
    assert len(pool) == s1["added_to_pool"] + s2["added_to_pool"] == s1["kept"] + s2["kept"]
    assert _dups([p["id"] for p in pool]) == 0
    assert _dups([normalize(p["instruction"]) for p in pool]) == 0
    assert Counter(p["run_id"] for p in pool) == {k: v for k, v in
                                                   {"night-1": s1["kept"], "night-2": s2["kept"]}.items() if v}
    status2 = _status(night2)
    assert status2["status"] == "completed"
    if s2["kept"] == 0:  # nothing new tonight: no adapter, the champion stays
        assert "tune" not in status2["stages"]
        champion = json.loads((root / "registry.json").read_text())["champion"]
        assert (champion or {}).get("run_id") == nights["seen"]["champion_after_night_1"]
