"""Generation's rounds: until enough rows are kept, checkpointed per round, resumed identically.

The teacher here is a deterministic stand-in whose replies depend on the request's seed AND on
the prompt it was shown, so a resumed round that showed other examples would visibly differ.
It drives the loop's bookkeeping only (stop rule, checkpoints, request indices, the pool the
run found); the real teacher runs in tests/integration and in the five-night measurement.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

import flows.curate as fc
import flows.generate as fg
from core import pool
from core.config import CurateConfig, GenerateConfig, TeacherConfig, dump_config
from core.records import LedgerRow, load_tasks
from core.store import RunDir, read_jsonl_rows
from filters import curate
from flows.checkpoint import read_checkpoint, round_verdicts
from generators.teacher_types import Completion

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "tasks.jsonl"
VERBS = ["Write", "Explain", "Summarize", "List", "Describe", "Compare", "Rewrite", "Classify", "Plan", "Translate"]
THINGS = ["a poem", "the causes", "three benefits", "the main idea", "two examples", "a polite email",
          "the difference", "a recipe", "a schedule", "a riddle"]
TOPICS = ["rain", "volcanoes", "tea", "trains", "gardening", "chess", "rivers", "saving money", "sleep",
          "bicycles", "the moon", "libraries", "bees", "glaciers", "jazz", "pottery"]


class PromptTeacher:
    """Replies are a pure function of (request seed, schema, prompt text)."""

    name = "prompt-teacher"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, batch, sampling, seeds, schema=None):
        title = (schema or {}).get("title", "")
        self.prompts += [m[0]["content"] for m in batch]
        return [self._one(seed, title, m[0]["content"]) for seed, m in zip(seeds, batch)]

    def close(self) -> None:
        pass

    def _one(self, seed: int, title: str, prompt: str) -> Completion:
        r = random.Random(f"{seed}:{title}:{hashlib.sha256(prompt.encode()).hexdigest()}")
        if title == "NewTasks":
            tasks = [f"{r.choice(VERBS)} {r.choice(THINGS)} about {r.choice(TOPICS)}." for _ in range(4)]
            return Completion(json.dumps({"tasks": tasks}), "stop", 50, 60)
        if title == "IsClassification":
            return Completion(json.dumps({"is_classification": r.random() < 0.2}), "stop", 20, 5)
        words = " ".join(r.choice(TOPICS) for _ in range(r.randint(4, 10)))
        return Completion(json.dumps({"input": "", "output": f"Here is the answer: {words}."}), "stop", 40, 30)


@pytest.fixture
def teacher(monkeypatch):
    """The stand-in teacher, and the Prefect task wrappers removed (no API server for a unit test)."""
    t = PromptTeacher()
    monkeypatch.setattr(fg, "ask_teacher", fg.ask_teacher.fn)
    monkeypatch.setattr(fc, "shard_facts", fc.shard_facts.fn)
    monkeypatch.setattr(fc, "apply_filters", fc.apply_filters.fn)
    monkeypatch.setitem(fg._TEACHERS, CFG.teacher.model_dump_json(), t)
    return t


CFG = GenerateConfig(teacher=TeacherConfig(backend="openai", model="prompt-teacher"), seeds=SEEDS,
                     num_instructions=30, requests_per_round=3, max_rounds=6, run_seed=11)
# The reference LM's signals are off: the stand-in's replies are word salad ("Here is the
# answer: rain tea chess."), which fluency rightly drops (tests/filters/quality covers that);
# here they would only hide the loop's bookkeeping.
NO_LM = {"fluency": {"enabled": False}, "ifd": {"enabled": False}, "classifier": {"enabled": False}}
# The rounds' own curation also leaves out Gopher's n-gram rules, which the salad can trip:
# which replies they hit moves with every change of prompt text, not with the bookkeeping.
CURATE = CurateConfig.model_validate({"decontamination": {"eval_set": None},
                                      "quality": {**NO_LM, "degenerate": {"enabled": False}}})


def new_run(root: Path, run_id: str, cfg: GenerateConfig = CFG) -> RunDir:
    return RunDir.create(root, run_id, dump_config(cfg), "generate")


def generate(root: Path, run_id: str, cfg: GenerateConfig = CFG) -> tuple[RunDir, list]:
    run = RunDir(root, run_id) if (root / "runs" / run_id).exists() else new_run(root, run_id, cfg)
    return run, fg.generate_rounds(run, load_tasks(cfg.seeds), cfg, CURATE)


def add_night(root: Path, run_id: str, instructions: list[str]) -> None:
    """Another night's accepted rows in the pool."""
    rows = [LedgerRow(id=f"{run_id}-{i}", instruction=t, output="ok", verdict="kept") for i, t in enumerate(instructions)]
    pool.add_run(root, run_id, rows)


def test_rounds_stop_once_enough_rows_are_kept_and_log_each_rounds_yield(tmp_path, teacher):
    run, candidates = generate(tmp_path, "r1")
    ckpt = read_checkpoint(run.file("checkpoint.json"))
    rounds = ckpt["rounds"]
    kept = [r for r in ckpt["rows"] if r["verdict"] == "kept"]
    assert len(kept) >= CFG.num_instructions
    # It stopped at the first round that reached the target, not later.
    assert rounds[-1]["kept_total"] >= CFG.num_instructions > rounds[-2]["kept_total"]
    assert [y["round"] for y in rounds] == list(range(1, len(rounds) + 1)) and len(rounds) < CFG.max_rounds
    assert sum(y["generated"] for y in rounds) == len(candidates) == len(ckpt["rows"])
    assert sum(y["kept"] for y in rounds) == len(kept)
    assert all(set(y["drops"]) <= {"exact_duplicate", "near_duplicate", "instruction_too_short"} for y in rounds)
    assert any(y["drops"] for y in rounds)  # the stand-in's near-duplicates are dropped
    # Request indices run on across rounds, one classify and one instance per parsed instruction.
    for stage in ("instructions", "classify", "instance"):
        indices = [e["index"] for e in ckpt["requests"] if e["stage"] == stage]
        assert indices == list(range(len(indices))), stage
    assert len([e for e in ckpt["requests"] if e["stage"] == "instance"]) == len(candidates)
    assert {e["round"] for e in ckpt["requests"]} == set(range(1, len(rounds) + 1))
    # Each round's verdicts are the ones the curate stage would reach in one pass.
    one_pass = curate(candidates, CURATE, fc.seed_rows(str(SEEDS)))
    assert [r.verdict for r in one_pass] == [r["verdict"] for r in ckpt["rows"]]
    assert [r.reasons for r in one_pass] == [r["reasons"] for r in ckpt["rows"]]


def test_a_round_that_keeps_too_few_goes_on_to_max_rounds(tmp_path, teacher):
    cfg = CFG.model_copy(update={"num_instructions": 10_000, "max_rounds": 2})
    run, _ = generate(tmp_path, "r1", cfg)
    assert len(read_checkpoint(run.file("checkpoint.json"))["rounds"]) == 2


def test_a_killed_run_resumes_with_the_same_requests_even_after_another_night_grew_the_pool(
        tmp_path, teacher, monkeypatch):
    first_night = ["Describe a walk through a quiet forest at dawn.", "Plan a picnic for six friends.",
                   "Explain how rainbows form."]
    reference_root, root = tmp_path / "reference", tmp_path / "resumed"
    for r in (reference_root, root):
        add_night(r, "night-0", first_night)
    _, reference = generate(reference_root, "night-1")
    reference_prompts = list(teacher.prompts)

    # Killed after round 2: the teacher call of round 3 never returns.
    real_ask, calls = fg.ask, []

    def dies_in_round_3(cfg, requests, sampling, shards=1, by_language=None):
        if requests and requests[0].stage == "instructions" and len(calls) == 2:
            raise KeyboardInterrupt("killed")
        calls.append(1) if requests and requests[0].stage == "instructions" else None
        return real_ask(cfg, requests, sampling, shards, by_language)

    monkeypatch.setattr(fg, "ask", dies_in_round_3)
    teacher.prompts.clear()
    with pytest.raises(KeyboardInterrupt):
        generate(root, "night-1")
    assert len(read_checkpoint(root / "runs" / "night-1" / "checkpoint.json")["rounds"]) == 2
    monkeypatch.setattr(fg, "ask", real_ask)
    # Another night writes the pool before the resume: the run still sees the pool it found.
    add_night(root, "night-2", ["Write a poem about the sea.", "Name three rivers in Asia."])
    _, resumed = generate(root, "night-1")
    assert [c.model_dump() for c in resumed] == [c.model_dump() for c in reference]
    assert teacher.prompts == reference_prompts  # every request, rebuilt identically
    ckpt = read_checkpoint(root / "runs" / "night-1" / "checkpoint.json")
    assert ckpt["pool"] == {"rows": 3, "last_id": "night-0-2"}


def test_novelty_examples_come_from_the_pool_and_uniform_ones_do_not(tmp_path, teacher):
    night = [f"Convert {n} {unit} to metric units." for n, unit in [(3, "miles"), (5, "pounds"), (2, "gallons")]]
    add_night(tmp_path, "night-0", night)
    generate(tmp_path, "novel", CFG.model_copy(update={"max_rounds": 1}))
    assert any(any(t in p for t in night) for p in teacher.prompts if "new tasks" in p)
    teacher.prompts.clear()
    generate(tmp_path, "paper", CFG.model_copy(update={"max_rounds": 1, "example_sampling": "uniform"}))
    assert not any(t in p for t in night for p in teacher.prompts)


def test_an_edited_pool_is_an_error_on_resume(tmp_path, teacher):
    add_night(tmp_path, "night-0", ["Plan a picnic for six friends.", "Explain how rainbows form."])
    cfg = CFG.model_copy(update={"num_instructions": 10_000, "max_rounds": 1})
    generate(tmp_path, "r1", cfg)
    rows = read_jsonl_rows(pool.pool_path(tmp_path))
    (pool.pool_path(tmp_path)).write_text(json.dumps(rows[1]) + "\n", encoding="utf-8")
    from core.errors import GerminateError

    with pytest.raises(GerminateError, match="the pool no longer starts with the 2 rows run r1 started from"):
        generate(tmp_path, "r1", cfg.model_copy(update={"max_rounds": 2}))


def test_the_curate_stage_uses_the_rounds_verdicts_unless_settings_or_pool_changed(tmp_path, teacher):
    """`germinate curate RUN` (the real flow) after generation: the rounds' verdicts when they
    hold, a fresh decision with other settings or after another night grew the pool."""
    from core.config import PipelineConfig
    from core.store import atomic_write_jsonl
    from germinate.cli import main
    from reports.outputs import read_ledger

    cfg = PipelineConfig(generate=CFG.model_copy(update={"max_rounds": 2, "num_instructions": 10_000}),
                         curate=CurateConfig.model_validate({"quality": NO_LM}))
    # Three runs with one seed against empty pools: the same candidates under three run ids.
    for root, run_id in ((tmp_path / "a", "same"), (tmp_path / "a", "later"), (tmp_path / "b", "other")):
        run = RunDir.create(root, run_id, dump_config(cfg), "generate")
        candidates = fg.generate_rounds(run, load_tasks(CFG.seeds), cfg.generate, cfg.curate)
        atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in candidates])
    decided = read_checkpoint(tmp_path / "a" / "runs" / "same" / "checkpoint.json")["rows"]
    kept = [r["id"] for r in decided if r["verdict"] == "kept"]

    def curate(root, run_id, *sets):
        # `curate RUN` curates with the settings given now: the same as the rounds' here.
        no_lm = ["--set", "curate.quality.fluency.enabled=false", "--set", "curate.quality.ifd.enabled=false",
                 "--set", "curate.quality.classifier.enabled=false"]
        assert main(["curate", run_id, "--data-root", str(root), *no_lm, *sets]) == 0
        run = RunDir(root, run_id)
        return run.status["stages"]["curate"], read_ledger(run.file("ledger.parquet"))

    stage, ledger = curate(tmp_path / "a", "same")
    assert stage["reused_round_verdicts"] is True
    assert [r.model_dump() for r in ledger] == decided
    assert stage["novelty"]["new_rows"] == stage["kept"] == len(kept)

    # Other settings: the rounds' verdicts do not count.
    stricter = cfg.curate.model_copy(update={"near_duplicate": cfg.curate.near_duplicate.model_copy(
        update={"threshold": 0.4})})
    run = RunDir(tmp_path / "b", "other")
    state = {"rows": 0, "last_id": None}
    assert round_verdicts(run, fc.decision_key(cfg.curate, str(CFG.seeds)), state, len(decided)) is not None
    assert round_verdicts(run, fc.decision_key(stricter, str(CFG.seeds)), state, len(decided)) is None

    # The pool grew ("same" is in it): "later"'s verdicts no longer hold, and each of its
    # copies of "same"'s kept rows is dropped as a duplicate of an earlier night.
    stage, ledger = curate(tmp_path / "a", "later")
    assert stage["reused_round_verdicts"] is False
    assert stage["kept"] == 0
    assert stage["novelty"]["pool_before"] == len(kept)
    # Every row: the copies, and the near-duplicates whose neighbour was one of "same"'s rows.
    assert stage["novelty"]["dup_of_earlier_nights"] == len(ledger)
    assert stage["novelty"]["dup_of_earlier_nights_share"] == 1.0
    assert {r.neighbour_id for r in ledger if r.neighbour_id in set(kept)} == set(kept)


def test_the_rounds_drop_a_pasted_seed_example_and_name_the_seed(tmp_path, monkeypatch):
    """A round's curation knows the seed tasks' instances (not only their instructions)."""
    seed = next(t for t in load_tasks(SEEDS) if len(t.instances[0].input) > 40)

    class PastingTeacher(PromptTeacher):
        def _one(self, seed_no, title, prompt):
            reply = super()._one(seed_no, title, prompt)
            if title in ("NewTasks", "IsClassification"):
                return reply
            # Every instance reply pastes the seed's example, as the 135M teacher does.
            return Completion(json.dumps({"input": seed.instances[0].input, "output": seed.instances[0].output}),
                              "stop", 40, 30)

    monkeypatch.setattr(fg, "ask_teacher", fg.ask_teacher.fn)
    monkeypatch.setattr(fc, "shard_facts", fc.shard_facts.fn)
    monkeypatch.setattr(fc, "apply_filters", fc.apply_filters.fn)
    monkeypatch.setitem(fg._TEACHERS, CFG.teacher.model_dump_json(), PastingTeacher())
    cfg = CFG.model_copy(update={"max_rounds": 1})
    run, _ = generate(tmp_path, "r1", cfg)
    rows = read_checkpoint(run.file("checkpoint.json"))["rows"]
    parsed = [r for r in rows if not r["parse_error"]]
    assert parsed and all("copies_seed_example" in r["reasons"] for r in parsed)
    assert {r["meta"]["seed_copy"] for r in parsed} == {f"{seed.id} input"}


def test_a_stopped_generate_night_resumes_from_the_cli_as_if_never_stopped(tmp_path, teacher, monkeypatch):
    """`germinate generate` stopped by SIGTERM in its second round says "continue it with:
    germinate resume RUN"; that command finishes it, and its candidates are the uninterrupted
    night's. The stand-in teacher, the flow's body without Prefect's engine, no preflight (no
    engine to check): what is tested is the command's wiring around the checkpointed rounds."""
    import signal

    import flows.prepare
    from core.config import PipelineConfig
    from germinate.cli import Interrupted, main

    monkeypatch.setattr(fg, "generate_flow", fg.generate_flow.fn)
    monkeypatch.setattr(flows.prepare, "preflight", lambda *a, **k: None)
    config = tmp_path / "germinate.yaml"
    config.write_text(dump_config(PipelineConfig(generate=CFG, curate=CURATE)), encoding="utf-8")

    def night(root: Path, *args: str) -> int:
        return main([*args, "--config", str(config), "--data-root", str(root)])

    assert night(tmp_path / "a", "generate") == 0
    (uninterrupted,) = (tmp_path / "a" / "runs").iterdir()

    rounds_asked = {"n": 0}
    answer = teacher.complete

    def stopped_in_round_two(batch, sampling, seeds, schema=None):
        if (schema or {}).get("title") == "NewTasks":  # a round starts by asking for new tasks
            rounds_asked["n"] += 1
            if rounds_asked["n"] == 2:
                raise Interrupted(signal.SIGTERM)
        return answer(batch, sampling, seeds, schema)

    monkeypatch.setattr(teacher, "complete", stopped_in_round_two)
    assert night(tmp_path / "b", "generate") == 128 + signal.SIGTERM
    (stopped,) = (tmp_path / "b" / "runs").iterdir()
    run = RunDir(tmp_path / "b", stopped.name)
    assert (run.status["status"], run.status["stage"]) == ("interrupted", "generate")
    assert len(read_checkpoint(run.file("checkpoint.json"))["rounds"]) == 1

    assert main(["resume", stopped.name, "--data-root", str(tmp_path / "b")]) == 0
    run = RunDir(tmp_path / "b", stopped.name)
    assert run.status["status"] == "generated" and run.stage_done("generate")

    def rows(path: Path) -> list[tuple]:
        return [(r["id"].split("-i", 1)[1], r["instruction"], r["input"], r["output"], r["parse_error"])
                for r in read_jsonl_rows(path / "candidates.jsonl")]

    assert rows(stopped) == rows(uninterrupted) and len(rows(stopped)) > 0
    # Finished: a second resume says so and changes nothing.
    assert main(["resume", stopped.name, "--data-root", str(tmp_path / "b")]) == 0
    assert run.status["status"] == "generated" and rows(stopped) == rows(uninterrupted)
    # Stopped after the candidates were written, before the status said "generated" (kill -9
    # between the two writes): resume sets the status right and generates nothing.
    run.update_status(status="interrupted", stage="generate")
    before = run.file("candidates.jsonl").read_bytes()
    assert main(["resume", stopped.name, "--data-root", str(tmp_path / "b")]) == 0
    assert run.status["status"] == "generated" and "stage" not in run.status
    assert run.file("candidates.jsonl").read_bytes() == before


class KoreanBaseTeacher:
    """A base-model stand-in for Korean requests: continues numbered lists, says No to
    classification, writes "Output:" instances; it refuses chat messages."""

    name = "korean-base"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, batch, sampling, seeds, schema=None):
        raise AssertionError("a base-mode teacher was sent chat messages")

    def complete_text(self, prompts, sampling, seeds, stop):
        self.prompts += prompts
        out = []
        for seed, prompt in zip(seeds, prompts):
            if prompt.rstrip().endswith("?"):  # classification, asked both ways
                out.append(Completion(" No", "stop", 30, 1))
            elif prompt.rstrip().endswith(".") and "\n1. " in prompt:  # a task list to continue
                topic = random.Random(seed).choice(["바다", "겨울", "도서관", "기차", "정원", "커피"])
                out.append(Completion(f" {topic}에 대한 짧은 글을 쓰세요.\n\n", "stop", 40, 10))
            else:
                out.append(Completion(f"Output: {seed % 97}번째 답입니다.", "stop", 40, 10))
        return out

    def close(self) -> None:
        pass


KO_TEACHER = TeacherConfig(backend="openai", model="korean-base", mode="base")


@pytest.fixture
def korean(monkeypatch):
    """The Korean stand-in, as the teacher of `language_teachers.ko`."""
    t = KoreanBaseTeacher()
    monkeypatch.setitem(fg._TEACHERS, KO_TEACHER.model_dump_json(), t)
    return t


def with_korean_teacher(max_rounds: int, requests_per_round: int) -> GenerateConfig:
    return CFG.model_copy(update={"language_teachers": {"ko": KO_TEACHER}, "num_instructions": 10_000,
                                  "max_rounds": max_rounds, "requests_per_round": requests_per_round})


def test_rows_of_a_language_with_its_own_teacher_are_written_by_it_in_its_mode(tmp_path, teacher, korean):
    cfg = with_korean_teacher(max_rounds=1, requests_per_round=8)
    run, candidates = generate(tmp_path, "r1", cfg)
    ckpt = read_checkpoint(run.file("checkpoint.json"))
    by_teacher = {"ko": [c for c in candidates if c.meta.get("teacher_language") == "ko"],
                  "": [c for c in candidates if "teacher_language" not in c.meta]}
    assert by_teacher["ko"] and by_teacher[""]  # the mixed seed file asked both teachers
    assert all("에 대한 짧은 글을 쓰세요." in c.instruction and c.output.endswith("번째 답입니다.")
               for c in by_teacher["ko"])
    assert all(c.meta["teacher"] == "openai:korean-base" for c in by_teacher["ko"])
    assert all(c.meta["teacher"] == "openai:prompt-teacher" and c.output.startswith("Here is the answer")
               for c in by_teacher[""])
    # The chat stand-in saw no Korean task list; the base one saw only Korean-example lists.
    assert not any("에 대한 짧은 글을 쓰세요." in p for p in teacher.prompts)
    lists = [p for p in korean.prompts if "\n1. " in p and p.rstrip().endswith(".")]
    assert lists and all(p.startswith("다양한 작업 목록을 만들어 보세요:") for p in lists)
    # Request indices still run 0..n-1 per stage, each logged with the teacher that answered.
    for stage in ("instructions", "instance"):
        entries = [e for e in ckpt["requests"] if e["stage"] == stage]
        assert sorted(e["index"] for e in entries) == list(range(len(entries))), stage
        assert {e.get("teacher_language", "") for e in entries} == {"", "ko"}
    # Base mode asks classification twice per Korean row, chat mode once per other row.
    classify = [e for e in ckpt["requests"] if e["stage"] == "classify"]
    parsed_ko = sum(c.parse_error is None for c in by_teacher["ko"])
    assert len(classify) == 2 * parsed_ko + sum(c.parse_error is None for c in by_teacher[""])


def test_a_killed_run_with_a_language_teacher_resumes_to_the_same_rows(tmp_path, teacher, korean, monkeypatch):
    cfg = with_korean_teacher(max_rounds=3, requests_per_round=6)
    _, reference = generate(tmp_path / "reference", "night-1", cfg)
    reference_prompts = (list(teacher.prompts), list(korean.prompts))
    real_ask, calls = fg.ask, []

    def dies_in_round_2(*args, **kwargs):  # the instruction call of round 2 never returns
        if args[1] and args[1][0].stage == "instructions":
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt("killed")
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(fg, "ask", dies_in_round_2)
    teacher.prompts.clear()
    korean.prompts.clear()
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "resumed", "night-1", cfg)
    monkeypatch.setattr(fg, "ask", real_ask)
    _, resumed = generate(tmp_path / "resumed", "night-1", cfg)
    assert any(c.meta.get("teacher_language") == "ko" for c in reference)
    assert [c.model_dump() for c in resumed] == [c.model_dump() for c in reference]
    assert (teacher.prompts, korean.prompts) == reference_prompts  # every request of both, rebuilt identically
