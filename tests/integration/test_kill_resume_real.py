"""Nightly operations with the real models: SIGTERM, kill -9, resume, and a second night.

One data root, six `germinate` processes (vLLM teacher in-process, real LoRA training):

1. `germinate run` night-1, SIGTERMed (the process alone, as `kill` or Prefect's runner does)
   once its first generation round is checkpointed;
2. `germinate resume night-1` with a CPU hog beside it, SIGKILLed (whole process group) once
   the second of three rounds is checkpointed, with the third under way (a round asks for
   instructions, then instances, then curates: the last round's end is generation's end);
3. `germinate resume night-1` (the hog stopped), SIGTERMed after the first training step;
4. `germinate resume night-1`, SIGKILLed after the first training step;
5. `germinate resume night-1`, to completion (tune + evaluate + promote);
6. `germinate run` night-2: same config and run seed, never interrupted, no hog.

What the teacher writes does not decide whether the scenario runs: night 1 trains on the pool
plus the seed tasks even if curation kept nothing (`tune.skip_when_nothing_kept=false`), so
the training stops always happen. Checked:

- a SIGTERM stops the run within 10 s with no process of it left (Prefect's temporary API
  server included), status "interrupted" with its stage, and `resume` continues it;
- finished rounds and stages are kept, not redone; no row is duplicated; SIGKILL's partial
  adapter is swept and no temp file is left; night 1's curated set is what the filters make of
  its candidates;
- night 2, the uninterrupted reference with the same seed, asked the same requests and got the
  same replies, row for row, although night 1's generation was resumed twice, under load
  (generators/teachers.py: grammars compiled in the engine's step, an empty prefix cache per
  batch);
- night 1 ends as any finished `germinate run` does (this module is also the suite's one whole
  run with the real models): every output written, the ledger's invariant, an evaluation whose
  decision follows its evidence, and a later evaluation that faces the champion from cached
  answers;
- so night 2 generates nothing new: each of night 1's accepted instructions comes back and is
  dropped as a duplicate, and the night ends as a zero-kept night does: exit 0, one line
  "0 of N candidates passed; top reasons: ...", training skipped, nothing promoted.

The fake-teacher fault suite (tests/faults) covers random kill points; this one the real engines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from core.config import TeacherConfig, load_config
from core.records import Candidate, load_tasks
from core.store import read_jsonl_rows
from core.text import normalize
from filters import curate
from evals import registry as reg
from flows.evaluate import evaluate_flow
from generators.self_instruct import request_seed
from germinate.cli import main
from reports.outputs import read_ledger

# The module's one fixture runs six processes; on a loaded 2-core machine that can take a while.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

REPO = Path(__file__).resolve().parents[2]
EVAL_SMALL = REPO / "tests" / "data" / "eval_small.jsonl"
ROUNDS, PER_ROUND = 3, 2
# Tiny but complete: exactly two rounds (num_instructions is never reached), short replies,
# three LoRA steps of one example each on pool + seeds, the small eval set, no judge. The run
# seed is fixed so that night 2 asks night 1's questions. The teacher keeps structured output
# on (the default): without a grammar the 135M teacher's replies rarely parse.
SETS = [
    "generate.num_instructions=50", f"generate.requests_per_round={PER_ROUND}", f"generate.max_rounds={ROUNDS}",
    "generate.new_per_request=3", "generate.instruction_sampling.max_tokens=64",
    "generate.instance_sampling.max_tokens=48",
    "tune.max_steps=3", "tune.batch_size=1", "tune.include_seeds=true", "tune.max_length=256",
    f"evaluate.eval_set={EVAL_SMALL}", "evaluate.max_tokens=8", "evaluate.judge=false",
    # Night 2 replays night 1: one fixed run seed, and Self-Instruct's uniform examples (the
    # novelty rule would show night 2 other examples, since its pool holds night 1's rows).
    "generate.run_seed=0", "generate.example_sampling=uniform",
    # Uniform examples mix languages, so no request would go to Korean's own teacher (the
    # embedded base model): not loading its engine saves ~15 s in each of the six processes.
    "generate.language_teachers={}",
]
# Night 1 trains whatever curation kept; night 2 has the default (a night that keeps nothing
# skips training).
TRAIN_ANYWAY = "tune.skip_when_nothing_kept=false"
# The acceptance bound for a SIGTERMed run to be gone (the bound is generous next to the ~1-3 s
# measured; a supervisor's grace period before SIGKILL is 10-30 s).
STOP_BOUND_S = 10
# What a temp file or directory of atomic_write_* / atomic_dir looks like.
TEMP_NAME = re.compile(r"^\..+\.(tmp|[a-z0-9_]{8})$")


@contextmanager
def cpu_hog():
    """One busy-loop process per core while the block runs, killed after it."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def _is_prefect_server(cmdline: list[str]) -> bool:
    return "prefect.server.api.server:create_app" in " ".join(cmdline)


class Cli:
    """`germinate` as a subprocess in its own process group, output to a log file."""

    def __init__(self, root: Path, logs: Path) -> None:
        self.root, self.logs = root, logs
        # The child configures Prefect under its own data root, as a user's shell would.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        self.env.pop("GERMINATE_HOME", None)
        self.env["PYTHONPATH"] = str(REPO)
        # The libraries' output (TRL's per-step loss lines among it) goes to the run's log.txt;
        # unbuffered, a step is there when it happens, wherever the test runs.
        self.env["PYTHONUNBUFFERED"] = "1"
        # 1 GiB of KV cache is plenty for these tiny rounds (default 2) and leaves memory for
        # training on a small CI machine; both nights use the same, as they must.
        self.env["VLLM_CPU_KVCACHE_SPACE"] = "1"
        self.seconds: dict[str, float] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "germinate", *args, "--data-root", str(self.root)],
                                cwd=REPO, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.name, proc.started = name, time.monotonic()
        return proc

    def log(self, proc: subprocess.Popen) -> str:
        return (self.logs / f"{proc.name}.log").read_text(errors="replace")

    def finish(self, proc: subprocess.Popen, timeout_s: float = 1800) -> None:
        code = proc.wait(timeout=timeout_s)
        self.seconds[proc.name] = round(time.monotonic() - proc.started, 1)
        assert code == 0, f"{proc.name} exited {code}:\n{self.log(proc)[-3000:]}"

    def _wait_for(self, proc: subprocess.Popen, reached, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not reached():
            assert proc.poll() is None, f"{proc.name} exited {proc.returncode} before the stop point:\n" \
                                        f"{self.log(proc)[-3000:]}"
            assert time.monotonic() < deadline, f"{proc.name}: stop point not reached in {timeout_s} s"
            time.sleep(0.1)

    def kill_when(self, proc: subprocess.Popen, reached, timeout_s: float = 1800) -> None:
        """SIGKILL the whole process group as soon as `reached()` is true."""
        self._wait_for(proc, reached, timeout_s)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        self.seconds[proc.name] = round(time.monotonic() - proc.started, 1)
        assert proc.returncode == -signal.SIGKILL
        assert self._group_gone(proc), f"processes of {proc.name}'s group survived SIGKILL"

    def terminate_when(self, proc: subprocess.Popen, reached, timeout_s: float = 1800) -> dict:
        """SIGTERM the process (not its group) as soon as `reached()` is true; what followed."""
        self._wait_for(proc, reached, timeout_s)
        tree = psutil.Process(proc.pid).children(recursive=True)
        cmdlines = [p.cmdline() for p in tree]
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)  # liveness only; the bound is checked by the test
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"exit_code": None, "exit_s": None, "children": cmdlines, "left": cmdlines}
        exit_s = round(time.monotonic() - sent, 2)
        _, alive = psutil.wait_procs(tree, timeout=5)
        left = [p.cmdline() for p in alive]
        group_gone = self._group_gone(proc)
        for p in alive:  # do not leave them to the next step
            p.kill()
        self.seconds[proc.name] = round(time.monotonic() - proc.started, 1)
        return {"exit_code": proc.returncode, "exit_s": exit_s, "children": cmdlines, "left": left,
                "group_gone": group_gone, "log_tail": self.log(proc)[-600:]}

    @staticmethod
    def _group_gone(proc: subprocess.Popen) -> bool:
        for _ in range(50):  # nothing of the group (Prefect's temporary server, ...) lives on
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False


def _status(run: Path) -> dict:
    return json.loads((run / "status.json").read_text(encoding="utf-8"))


def _checkpoint(run: Path) -> dict:
    try:
        return json.loads((run / "checkpoint.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"next_index": 0, "candidates": []}


def _training_steps(run: Path) -> int:
    """Training steps logged so far in the run's log.txt (TRL prints each step's loss there; the
    terminal only shows the stage line)."""
    try:
        return (run / "log.txt").read_text(encoding="utf-8", errors="replace").count("'loss'")
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
    root, logs = tmp / "data", tmp / "logs"
    logs.mkdir()
    cli = Cli(root, logs)
    sets = [a for s in SETS for a in ("--set", s)]
    night1 = root / "runs" / "night-1"
    seen: dict = {}

    # 1. SIGTERM in generation: the first round checkpointed, the second one under way.
    proc = cli.start("run-terminated-in-generation", "run", "--run-id", "night-1", *sets, "--set", TRAIN_ANYWAY)
    seen["term_1"] = cli.terminate_when(proc, lambda: _checkpoint(night1)["next_index"] >= PER_ROUND)
    seen["status_after_term_1"] = _status(night1)
    seen["checkpoint_at_term_1"] = _checkpoint(night1)

    with cpu_hog():
        # 2. Resumed beside a busy loop per core; SIGKILLed once the second of three rounds
        #    is checkpointed (the third under way).
        proc = cli.start("resume-killed-in-generation", "resume", "night-1")
        cli.kill_when(proc, lambda: _checkpoint(night1)["next_index"] >= (ROUNDS - 1) * PER_ROUND)
        seen["status_after_kill_2"] = _status(night1)
        seen["checkpoint_at_kill_2"] = _checkpoint(night1)

    # (The hog was for generation, whose replies must not depend on load. The SIGTERM bound
    # below is about germinate's own shutdown, measured on the machine as it is.)
    # 3. Resumed (instances, curation, training), SIGTERMed after the first training step.
    proc = cli.start("resume-terminated-in-training", "resume", "night-1")
    before = _training_steps(night1)
    seen["term_3"] = cli.terminate_when(proc, lambda: _training_steps(night1) > before)
    seen["status_after_term_3"] = _status(night1)
    seen["partial_adapters_after_term_3"] = [p.name for p in night1.glob(".adapter.*")]
    seen["curated_at_term_3"] = (night1 / "data.jsonl").read_text(encoding="utf-8")
    seen["pool_at_term_3"] = (root / "pool" / "pool.jsonl").read_text(encoding="utf-8") \
        if (root / "pool" / "pool.jsonl").exists() else ""

    # 4. Resumed, SIGKILLed after the first training step: a partial adapter is left behind.
    proc = cli.start("resume-killed-in-training", "resume", "night-1")
    before = _training_steps(night1)
    cli.kill_when(proc, lambda: _training_steps(night1) > before)
    seen["stages_after_kill_4"] = sorted(_status(night1)["stages"])
    seen["partial_adapters_after_kill_4"] = [p.name for p in night1.glob(".adapter.*")]

    # 5. Resumed to completion.
    proc = cli.start("resume-to-completion", "resume", "night-1")
    cli.finish(proc)
    seen["completion_output"] = cli.log(proc)
    seen["registry_after_night_1"] = (root / "registry.json").read_text(encoding="utf-8")
    seen["pool_after_night_1"] = (root / "pool" / "pool.jsonl").read_text(encoding="utf-8") \
        if (root / "pool" / "pool.jsonl").exists() else ""
    seen["champion_after_night_1"] = (json.loads((root / "registry.json").read_text())["champion"] or {}).get("run_id")

    # 6. The second night: same config and run seed, uninterrupted, no hog.
    proc = cli.start("second-night", "run", "--run-id", "night-2", *sets)
    cli.finish(proc)
    seen["night_2_output"] = cli.log(proc)
    proc = cli.start("runs", "runs", COLUMNS="400")  # one table row per line, every column
    cli.finish(proc)
    seen["runs_output"] = cli.log(proc)
    seen["seconds"] = cli.seconds
    print("\nseconds per process:", json.dumps(cli.seconds))
    print("SIGTERM to exit:", seen["term_1"]["exit_s"], "s in generation,", seen["term_3"]["exit_s"], "s in training")
    return {"root": root, "seen": seen, "config": load_config(night1 / "config.yaml")}


@pytest.mark.parametrize("step, stage", [("1", "generate"), ("3", "tune")])
def test_sigterm_stops_the_run_promptly_leaves_no_process_and_marks_it_interrupted(nights, step, stage):
    stop, status = nights["seen"][f"term_{step}"], nights["seen"][f"status_after_term_{step}"]
    assert stop["exit_code"] == 128 + signal.SIGTERM, stop
    assert stop["exit_s"] <= STOP_BOUND_S, stop
    # Its whole tree is gone, Prefect's temporary API server included (it was there to stop).
    assert any(_is_prefect_server(c) for c in stop["children"]), stop["children"]
    assert stop["left"] == [] and stop["group_gone"], stop
    assert (status["status"], status["stage"], status["error"]) == ("interrupted", stage, "interrupted by SIGTERM")
    assert (f"germinate: interrupted by SIGTERM; run night-1 interrupted in stage {stage}; "
            "continue it with: germinate resume night-1") in stop["log_tail"]


def test_kills_and_stops_in_generation_and_training_then_resume_finishes_and_keeps_finished_work(nights):
    root, seen = nights["root"], nights["seen"]
    night1 = root / "runs" / "night-1"
    # The stops landed where intended: after one checkpointed round, after two of three, and
    # twice between training steps.
    assert seen["checkpoint_at_term_1"]["next_index"] == PER_ROUND
    assert seen["checkpoint_at_kill_2"]["next_index"] == (ROUNDS - 1) * PER_ROUND
    assert "generate" not in seen["status_after_term_1"]["stages"]
    assert "generate" not in seen["status_after_kill_2"]["stages"]
    assert {"generate", "curate"} <= set(seen["status_after_term_3"]["stages"])
    assert "tune" not in seen["status_after_term_3"]["stages"] and "tune" not in seen["stages_after_kill_4"]
    # SIGTERM unwinds: the half-built adapter is removed on the way out; SIGKILL leaves it.
    assert seen["partial_adapters_after_term_3"] == []
    assert seen["partial_adapters_after_kill_4"], "no partial adapter: the SIGKILL did not land in training"

    status = _status(night1)
    assert status["status"] == "completed" and "stage" not in status and "error" not in status
    assert {"generate", "curate", "tune", "evaluate"} <= set(status["stages"])
    assert status["stages"]["tune"]["steps"] == 3
    assert (night1 / "adapter" / "adapter_model.safetensors").exists()
    # Recorded once, as decided: the gate (one eval item, 3 steps) may or may not promote it.
    decision = json.loads((night1 / "eval.json").read_text())["decision"]
    assert (seen["champion_after_night_1"] == "night-1") is decision["promote"], decision["reason"]
    assert status["stages"]["evaluate"]["promote"] is decision["promote"]
    # The partial adapter of the killed training is gone, and no other temp file is left.
    assert _temp_leftovers(root) == []

    # Finished work is kept, not redone: the rounds checkpointed before each stop are in the
    # final candidates as they were, and the curated set and the pool written before the
    # training stops are unchanged.
    got = [Candidate.model_validate(r) for r in read_jsonl_rows(night1 / "candidates.jsonl")]
    for key in ("checkpoint_at_term_1", "checkpoint_at_kill_2"):
        before = [Candidate.model_validate(c) for c in seen[key]["candidates"]]
        assert before, key
        assert [_bootstrapped(c) for c in got[:len(before)]] == [_bootstrapped(c) for c in before], key
    assert (night1 / "data.jsonl").read_text(encoding="utf-8") == seen["curated_at_term_3"]
    assert seen["pool_after_night_1"] == seen["pool_at_term_3"]

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
    # Trained on the pool plus the seed tasks, whatever the teacher wrote.
    seeds = load_tasks(nights["config"].generate.seeds, "seed")
    assert status["stages"]["tune"]["examples"] == len(data) + sum(len(t.instances) for t in seeds)


def test_the_finished_night_has_every_output_and_a_decision_that_follows_the_evidence(nights, tmp_path, capsys):
    root, seen = nights["root"], nights["seen"]
    night1 = root / "runs" / "night-1"
    candidates = read_jsonl_rows(night1 / "candidates.jsonl")
    ledger = read_ledger(night1 / "ledger.parquet")
    # The ledger invariant: kept + dropped = generated, every drop has a reason.
    assert [r.id for r in ledger] == [c["id"] for c in candidates] and len(ledger) >= 3
    assert all(r.reasons for r in ledger if r.verdict == "dropped")
    assert all(not r.reasons for r in ledger if r.verdict == "kept")
    kept = [r for r in ledger if r.verdict == "kept"]
    assert len(json.loads((night1 / "alpaca.json").read_text())) == len(kept)
    # Real teacher output, with provenance and token counts per request.
    requests = read_jsonl_rows(night1 / "requests.jsonl")
    assert requests and all(r["completion_tokens"] > 0 for r in requests)
    card = (night1 / "README.md").read_text(encoding="utf-8")
    assert "Drops per reason" in card and "vllm:embedded:smollm2-135m-instruct" in card

    # Evaluated against the base (no champion yet), promoted only on evidence against it.
    out = seen["completion_output"]
    assert "run directory" in out and "held-out eval" in out and "candidate vs base" in out
    assert "germinate inspect night-1 --eval" in out
    result = json.loads((night1 / "eval.json").read_text())
    assert set(result["scores"]) == {"base", "candidate"} and set(result["comparisons"]) == {"base"}
    assert result["judge"] == {"enabled": False, "model": None}  # off by default: the 135M teacher decides nothing
    decision = result["decision"]
    rouge = result["comparisons"]["base"]["rouge_l"]
    # Promoted exactly when the evidence says so: the lower bound of the paired CI above the
    # margin and no secondary regression (12 items: a small night may or may not clear it).
    (primary,) = [c for c in decision["checks"] if c["role"] == "primary"]
    assert primary["passed"] is (rouge["ci_low"] > 0), primary
    assert decision["promote"] is all(c["passed"] for c in decision["checks"]), decision
    if decision["promote"]:
        assert decision["reason"].startswith("candidate beats base by +") and "PROMOTED" in out
    else:
        assert decision["reason"].startswith("candidate does not clear base") and "PROMOTED" not in out

    # A later evaluation faces a champion: night 1 made champion by hand, in a copy of the data
    # root (night 2's test checks the registry night 1 left).
    copy = tmp_path / "data"
    shutil.copytree(root, copy)
    entry = next(h for h in json.loads((copy / "registry.json").read_text())["history"] if h["run_id"] == "night-1")
    reg.record(copy, {k: v for k, v in entry.items() if k != "promoted"}, True)
    cfg = nights["config"]
    again = evaluate_flow(cfg.evaluate, cfg.tune.student, TeacherConfig(), str(copy),
                          candidate=str(copy / "runs" / "night-1" / "adapter"), record=False)
    assert set(again["scores"]) == {"base", "champion", "candidate"}
    # Same adapter, same greedy decoding: it cannot beat itself, and its answers (and the
    # base's) come from the answer cache instead of being generated again.
    assert again["comparisons"]["champion"]["rouge_l"] == {"delta": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    assert again["decision"]["promote"] is False
    assert "does not clear champion night-1" in again["decision"]["reason"]
    assert {m: again["models"][m]["answers"] for m in again["models"]} == {
        "base": "hit", "champion": "hit", "candidate": "hit"}

    # The whole table is one command away; inspect shows the counts.
    capsys.readouterr()
    assert main(["inspect", "night-1", "--eval", "--data-root", str(copy)]) == 0
    table = capsys.readouterr().out
    assert "instruction-level" in table and "answer tokens" in table
    assert main(["inspect", "night-1", "--data-root", str(copy)]) == 0
    assert f"{len(ledger)} candidates" in capsys.readouterr().out


def _reference_curation(cfg, candidates):
    """What curate_flow makes of `candidates` on an empty pool: the seeds are the only earlier
    rows; the quality model signals scored as curation scores them (flows.curation)."""
    from filters.curate import row_facts, with_scores
    from flows.curation import model_scores_of, with_rationales

    seeds = [(t.id, t.instruction) for t in load_tasks(cfg.generate.seeds, "seed")]
    eval_tasks = load_tasks(cfg.curate.decontamination.eval_set, "eval")
    facts = row_facts(candidates, cfg.curate, [t for _, t in seeds], eval_tasks)
    extra, rationales = model_scores_of(candidates, cfg.curate)
    return curate(with_rationales(candidates, rationales), cfg.curate, seeds, eval_tasks,
                  facts=with_scores(facts, extra))


def test_resumed_run_under_load_equals_an_uninterrupted_run_with_the_same_seed(nights):
    """Night 2 (same seed, never stopped, no hog) is the reference for night 1 (stopped twice
    in generation, resumed beside a busy loop per core): same requests, same replies."""
    root = nights["root"]
    night1, night2 = root / "runs" / "night-1", root / "runs" / "night-2"
    got = [Candidate.model_validate(r) for r in read_jsonl_rows(night1 / "candidates.jsonl")]
    ref = [Candidate.model_validate(r) for r in read_jsonl_rows(night2 / "candidates.jsonl")]
    same = sum(a == b for a, b in zip([_comparable(c, "night-1") for c in got],
                                      [_comparable(c, "night-2") for c in ref]))
    print(f"\ncandidates identical to the uninterrupted run: {same} of {len(ref)}")
    requests = [(r["stage"], r["index"], r["seed"], r["text"]) for r in read_jsonl_rows(night1 / "requests.jsonl")]
    assert requests == [(r["stage"], r["index"], r["seed"], r["text"])
                        for r in read_jsonl_rows(night2 / "requests.jsonl")]
    assert [_comparable(c, "night-1") for c in got] == [_comparable(c, "night-2") for c in ref]
    # Hence the same curated set as the uninterrupted run, curated as night 1 was (no pool).
    ref_kept = {_suffix(r.id, "night-2") for r in _reference_curation(nights["config"], ref) if r.verdict == "kept"}
    assert {_suffix(d["id"], "night-1") for d in read_jsonl_rows(night1 / "data.jsonl")} == ref_kept


def test_second_night_regenerates_the_first_and_ends_as_a_zero_kept_night(nights):
    root, seen = nights["root"], nights["seen"]
    night1, night2 = root / "runs" / "night-1", root / "runs" / "night-2"
    kept1 = {normalize(r.instruction): r.id for r in read_ledger(night1 / "ledger.parquet") if r.verdict == "kept"}
    ledger2 = read_ledger(night2 / "ledger.parquet")
    # Same seed, same requests, same replies: night 2 regenerates every instruction night 1
    # accepted, and drops each one as a duplicate of night 1's row in the pool.
    regenerated = [r for r in ledger2 if normalize(r.instruction) in kept1]
    assert {normalize(r.instruction) for r in regenerated} == set(kept1)
    for row in regenerated:
        assert row.verdict == "dropped" and "exact_duplicate" in row.reasons, row
        assert row.neighbour_id == kept1[normalize(row.instruction)]

    # Nothing new: the zero-kept outcome. Exit 0 (checked by finish), one line saying why,
    # training skipped, nothing evaluated or promoted, the pool and the registry unchanged.
    s2 = _status(night2)
    curated = s2["stages"]["curate"]
    assert curated["kept"] == 0 and curated["generated"] == len(ledger2) > 0
    top = sorted(curated["drops_by_reason"].items(), key=lambda kv: -kv[1])[:3]
    line = f"0 of {len(ledger2)} candidates passed; top reasons: " + ", ".join(f"{r} ({n})" for r, n in top)
    assert seen["night_2_output"].count(line) == 1, seen["night_2_output"][-3000:]
    assert s2["status"] == "completed" and s2["note"] == f"training skipped: {line}"
    assert s2["skipped"] == ["tune", "evaluate"] and not {"tune", "evaluate"} & set(s2["stages"])
    assert not (night2 / "adapter").exists() and not (night2 / "eval.json").exists()
    assert (root / "registry.json").read_text(encoding="utf-8") == seen["registry_after_night_1"]
    pool = read_jsonl_rows(root / "pool" / "pool.jsonl")
    assert [p["id"] for p in pool] == [p["id"] for p in map(json.loads, seen["pool_after_night_1"].splitlines())]
    assert _dups([p["id"] for p in pool]) == 0 and _dups([normalize(p["instruction"]) for p in pool]) == 0
    # The morning views say so too.
    report = (night2 / "report.html").read_text(encoding="utf-8")
    assert f"training skipped: {line}" in report and "not evaluated, nothing promoted" in report
    runs = {line.split("│")[1].strip(): line for line in seen["runs_output"].splitlines() if line.count("│") > 3}
    assert "training skipped" in runs.get("night-2", "") and "completed" in runs["night-2"], seen["runs_output"]
