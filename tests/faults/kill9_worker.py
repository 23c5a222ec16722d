"""Fork server for the kill -9 trials in test_kill9.py (run as a script, not collected).

Importing Prefect, pyarrow and datasets costs ~5 s, too much to pay 60 times, so this process
imports germinate once and forks one worker per command line `go DATA_ROOT RUN_SEED KILL_AFTER_S`.
A worker runs two nights into DATA_ROOT with germinate's real code (generate_rounds with its
checkpoint, curate + check_invariant, write_curated, pool.add_run,
the tune flow's body with real peft/TRL training, gate.record) and a fake teacher; the stages
skip themselves when done, as `germinate resume` does. The student is a tiny randomly
initialised Llama with a word-level tokenizer built here, so a training run takes a fraction
of a second and kill points land inside it too. With KILL_AFTER_S >= 0 the worker gets SIGKILL after that many seconds. Each command is
answered with one line: `done EXIT_CODE KILLED SECONDS`.

usage: python kill9_worker.py REPO_ROOT SEEDS_JSONL SCRATCH_DIR
"""
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

REPO, SEEDS, SCRATCH = sys.argv[1], sys.argv[2], Path(sys.argv[3])
sys.path.insert(0, REPO)
# Forked workers train: tokenizers' thread pool and OpenMP teams started in the parent do not
# survive fork(), so neither is used (a tiny model needs no threads anyway).
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["OMP_NUM_THREADS"] = "1"

from core import runtime_env  # noqa: E402

runtime_env.configure(SCRATCH)  # Prefect home and temp files in the scratch dir, as the CLI does

import datasets  # noqa: E402,F401  (imported lazily by write_curated: pay for it once, here)
import tqdm  # noqa: E402

# tqdm's monitor thread takes tqdm's write lock every few seconds; forked while it held it, a
# worker hung at its first progress bar (seen once in 40 trials). No monitor, no such lock.
tqdm.tqdm.monitor_interval = 0

import flows.curate as fc  # noqa: E402
import flows.generate as fg  # noqa: E402
import flows.tune as ft  # noqa: E402
import torch  # noqa: E402
from evals import gate  # noqa: E402
from filters import check_invariant, curate  # noqa: E402
from generators.teacher_types import Completion  # noqa: E402
from core import pool  # noqa: E402
from core.config import (  # noqa: E402
    CurateConfig, DecontaminationRule, GenerateConfig, TeacherConfig, TuneConfig, dump_config)
from reports.outputs import write_curated  # noqa: E402
from core.records import Candidate, load_tasks  # noqa: E402
from core.store import RunDir, atomic_write_jsonl, read_jsonl_rows  # noqa: E402

# The Prefect task wrapper would start an API server per process; the function it wraps is
# what a flow run executes.
fg.ask_teacher = getattr(fg.ask_teacher, "fn", fg.ask_teacher)
fc.shard_facts = getattr(fc.shard_facts, "fn", fc.shard_facts)  # each round curates (flows.curate.decide_rows)
fc.apply_filters = getattr(fc.apply_filters, "fn", fc.apply_filters)
fc.model_scores = getattr(fc.model_scores, "fn", fc.model_scores)
ft.train_task = getattr(ft.train_task, "fn", ft.train_task)
torch.set_num_threads(1)
STUDENT = SCRATCH / "tiny-student"

VERBS = ["Write", "Explain", "Summarize", "List", "Describe", "Compare", "Rewrite", "Classify"]
THINGS = ["a short poem", "the causes", "three benefits", "the main idea", "two examples",
          "a polite email", "the difference", "a recipe"]
TOPICS = ["rain", "volcanoes", "tea", "trains", "gardening", "chess", "rivers", "saving money",
          "sleep", "bicycles", "the moon", "libraries"]
AUDIENCES = ["kids", "experts", "a friend", "tourists"]


def _rng(seed: int, salt: str) -> random.Random:
    return random.Random(f"{seed}:{salt}")


class FakeTeacher:
    """Replies are a pure function of (request seed, schema): reference and resumed runs match."""

    name = "fake"

    def complete(self, batch, sampling, seeds, schema=None):
        time.sleep(0.005)  # a teacher takes time: kill points fall in calls as well as in writes
        title = (schema or {}).get("title", "")
        return [self._one(seed, title) for seed in seeds]

    def _one(self, seed: int, title: str) -> Completion:
        r = _rng(seed, title)
        if title == "NewTasks":
            if r.random() < 0.1:  # cut at max_tokens mid-JSON: a parse_error candidate
                return Completion('{"tasks": ["Write a poem ab', "length", 50, 320)
            tasks = [f"{r.choice(VERBS)} {r.choice(THINGS)} about {r.choice(TOPICS)} for {r.choice(AUDIENCES)}."
                     for _ in range(4)]
            return Completion(json.dumps({"tasks": tasks}), "stop", 50, 60)
        if title == "IsClassification":
            return Completion(json.dumps({"is_classification": r.random() < 0.2}), "stop", 20, 5)
        roll = r.random()
        if roll < 0.08:
            return Completion("I'm sorry, but I cannot help with that.", "stop", 40, 10)
        if roll < 0.12:
            return Completion('{"input": "", "output": ', "length", 40, 200)
        words = " ".join(r.choice(TOPICS + VERBS) for _ in range(r.randint(3, 12)))
        return Completion(json.dumps({"input": r.choice(["", "some input text " + str(seed % 97)]),
                                      "output": f"Here is the answer: {words}."}), "stop", 40, 30)


def configs(run_seed: int):
    teacher = TeacherConfig(backend="openai", model="fake-teacher", base_url="http://127.0.0.1:9/v1")
    gen = GenerateConfig(teacher=teacher, seeds=Path(SEEDS), num_instructions=40, requests_per_round=4,
                         new_per_request=4, max_rounds=8, run_seed=run_seed)
    # No reference LM: these trials are about bookkeeping under SIGKILL, and the fake teacher's
    # word salad would be dropped as disfluent anyway (tests/filters/quality covers that).
    cur = CurateConfig(decontamination=DecontaminationRule(eval_set=None),
                       quality={"fluency": {"enabled": False}, "ifd": {"enabled": False},
                                "classifier": {"enabled": False}})
    tune = TuneConfig(student=str(STUDENT), max_steps=3, batch_size=2, max_length=64, include_seeds=False)
    return gen, cur, tune


def build_tiny_student(path: Path) -> None:
    """A 1-layer Llama (hidden size 16) and a word-level tokenizer over the fake teacher's words,
    with germinate's student chat template: real peft/TRL training in ~0.3 s."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from core.chat_template import STUDENT_CHAT_TEMPLATE

    specials = ["<pad>", "<unk>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"]
    words = {w for text in VERBS + THINGS + TOPICS + AUDIENCES + ["Here is the answer some input text user model"]
             for w in text.split()}
    vocab = {w: i for i, w in enumerate(specials + sorted(words))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>", additional_special_tokens=specials[4:])
    fast.chat_template = STUDENT_CHAT_TEMPLATE
    fast.save_pretrained(path)
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
                                 bos_token_id=2, eos_token_id=3, pad_token_id=0)).save_pretrained(path)


def night(root: Path, run_id: str, run_seed: int) -> None:
    gen, cur, tune = configs(run_seed)
    fg._TEACHERS[gen.teacher.model_dump_json()] = FakeTeacher()
    run = RunDir(root, run_id)
    if not run.file("status.json").exists():
        run = RunDir.create(root, run_id, dump_config(gen), "pipeline")
    seeds = load_tasks(gen.seeds)
    with run.lock():
        # generate_flow, without the Prefect engine
        out = run.file("candidates.jsonl")
        if not (run.stage_done("generate") and out.exists()):
            entering(run_id, "generate")
            cands = fg.generate_rounds(run, seeds, gen, cur)
            atomic_write_jsonl(out, [c.model_dump() for c in cands])
            run.mark_stage("generate", candidates=len(cands))
        # curate_flow, without the Prefect engine and artifacts
        if not run.stage_done("curate"):
            entering(run_id, "curate")
            cands = [Candidate.model_validate(r) for r in read_jsonl_rows(out)]
            pool_rows = [p for p in pool.pool_entries(root) if not p[0].startswith(f"{run_id}-")]
            pool_rows = [(t.id, t.instruction) for t in seeds] + pool_rows
            rows = curate(cands, cur, pool_rows)
            check_invariant(cands, rows)
            summary = write_curated(run, rows, {"run seed": run_seed})
            summary["added_to_pool"] = pool.add_run(root, run_id, [r for r in rows if r.verdict == "kept"])
            run.mark_stage("curate", **summary)
        # tune_flow's body (the Prefect task wrapper removed): real LoRA training into an
        # atomic adapter dir; removes a killed training's partial adapter first.
        if not run.stage_done("tune"):
            entering(run_id, "tune")
            ft.tune_flow.fn(tune, str(root), run_id)
        # The gate as evaluate_flow applies it: decide against the registry's champion, record,
        # then mark the stage; a run already recorded keeps its decision. The score is a
        # stand-in computed from the ledger.
        if not run.stage_done("evaluate"):
            entering(run_id, "evaluate")
            stage = run.status["stages"]["curate"]
            scores = {"rouge_l": round(stage["kept"] / max(1, stage["generated"]), 6)}
            registry = gate.load(root)
            recorded = next((h for h in registry["history"] if h["run_id"] == run_id), None)
            if recorded:  # killed after the registry write: keep its decision, as evaluate_flow does
                decision = recorded["decision"]
            else:
                champ = registry["champion"]
                # A stand-in gate on the stand-in score: promote when it beats the champion's.
                promote = champ is None or scores["rouge_l"] > champ["scores"]["rouge_l"]
                decision = {"promote": promote, "reason": "stand-in score comparison"}
                gate.record(root, {"run_id": run_id, "adapter": str(run.file("adapter")), "base_model": "tiny",
                                   "scores": scores, "decision": decision}, decision["promote"])
            run.mark_stage("evaluate", promote=decision["promote"])
        entering(run_id, "completed")
        run.update_status(status="completed")


def work(root: Path, run_seed: int) -> None:
    for n in (1, 2):
        night(root, f"night-{n}", run_seed * 10 + n)


STAGE_PIPE: int | None = None  # in a worker: where it announces each stage it starts


def entering(run_id: str, stage: str) -> None:
    if STAGE_PIPE is not None:
        os.write(STAGE_PIPE, f"{run_id}/{stage}\n".encode())


def own_tqdm_lock() -> None:
    """A forked worker's own tqdm write lock. tqdm's default one includes a multiprocessing
    semaphore that every fork of this server shares: a worker SIGKILLed while drawing a bar
    (what the trials do) left it taken, and every later worker hung at its first bar (seen:
    transformers' weight-loading bar, forever)."""
    classes = [tqdm.tqdm]
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        if "_lock" in cls.__dict__:
            delattr(cls, "_lock")  # subclasses fall back to the one set below
    tqdm.tqdm.set_lock(threading.RLock())


def serve() -> None:
    """`go ROOT RUN_SEED KILL_AFTER [STAGE]`: KILL_AFTER < 0 runs to the end; otherwise SIGKILL
    that many seconds after the start, or after the worker enters STAGE (`night-2/tune`).
    Answer: `done CODE KILLED SECONDS TIMELINE`, TIMELINE a JSON object of the seconds at which
    each stage was entered."""
    global STAGE_PIPE
    for line in sys.stdin:
        _, root, run_seed, kill_after, *target = line.split()
        root, kill_after, target = Path(root), float(kill_after), (target or [None])[0]
        root.mkdir(parents=True, exist_ok=True)
        read_end, write_end = os.pipe()
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_end)
            own_tqdm_lock()
            STAGE_PIPE = write_end
            log = os.open(f"{root}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(log, 1)
            os.dup2(log, 2)
            code = 0
            try:
                work(root, int(run_seed))
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        os.close(write_end)
        os.set_blocking(read_end, False)
        timeline: dict[str, float] = {}
        pending = b""

        def read_stages() -> None:
            nonlocal pending
            try:
                pending += os.read(read_end, 65536)
            except BlockingIOError:
                return
            *lines, pending = pending.split(b"\n")
            for name in lines:
                timeline.setdefault(name.decode(), round(time.perf_counter() - started, 4))

        killed = False
        deadline = None if kill_after < 0 or target else started + kill_after
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            read_stages()
            if done:
                break
            if deadline is None and target in timeline:
                deadline = started + timeline[target] + kill_after
            if deadline is not None and time.perf_counter() >= deadline:
                os.kill(pid, signal.SIGKILL)
                killed = True
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.0005)
        os.close(read_end)
        code = os.waitstatus_to_exitcode(status)
        print(f"done {code} {int(killed)} {time.perf_counter() - started:.4f} "
              f"{json.dumps(timeline, separators=(',', ':'))}", flush=True)


def warm_up() -> None:
    """One run here first, so the lazy imports and caches it fills are shared by every fork
    (its progress bars go to a log: stdout is the protocol)."""
    saved = os.dup(1), os.dup(2)
    log = os.open(SCRATCH / "warm-up.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        work(SCRATCH / "warm-up", 0)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)


if __name__ == "__main__":
    build_tiny_student(STUDENT)
    warm_up()
    print("ready", flush=True)
    serve()
