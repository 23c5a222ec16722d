"""Self-Instruct (Wang et al. 2022) as plain functions over records.

1. Instruction bootstrapping: each request shows k seed + m machine instructions (6 + 2 by
   default, as in the paper; which ones: `generators.example_sampling`) and asks for new ones;
   rounds repeat until enough rows are kept (flows/generate.py).
2. Classification identification: does the task have a small fixed label set?
3. Instance generation: an input (possibly empty) and an output; classification tasks go
   output-first.

Every request carries its own seed derived from (run seed, stage, request index), so a resumed
run rebuilds exactly the requests it had not finished. The teacher's mode (`teacher.mode`)
picks the prompts: chat messages asking for JSON (`prompts`, `parsing`) for instruct models,
or Self-Instruct's plain-text continuations (`base_prompts`, `base_parsing`) for base models. Teacher calls are passed in (`ask`), so
the flow can wrap them in Prefect tasks with retries and tests can drive them with a fake.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from core.config import GenerateConfig, Sampling
from core.language import detect_language
from core.records import Candidate, SeedTask
from core.text import normalize
from generators import base_parsing
from generators import base_prompts as bp
from generators.example_sampling import ExampleStock, draw_examples
from generators.parsing import (
    CLASSIFICATION_SCHEMA,
    instance_schema,
    parse_instance,
    parse_instructions,
    parse_is_classification,
    tasks_schema,
)
from generators.prompts import classification_messages, instance_messages, instruction_messages
from generators.teacher_types import Completion, Messages


@dataclass
class Request:
    stage: str
    index: int
    seed: int
    messages: Messages
    schema: dict | None
    info: dict[str, Any] = field(default_factory=dict)
    # Base mode: the raw text to continue (instead of `messages`) and where to stop.
    prompt: str | None = None
    stop: tuple[str, ...] = ()
    # The language whose own teacher answers (`GenerateConfig.language_teachers`); "": `teacher`.
    teacher: str = ""


Ask = Callable[[list[Request], Sampling], list[Completion]]


def request_seed(run_seed: int | None, stage: str, index: int) -> int:
    """A stable 31-bit seed for one request (independent of Python's hash randomisation).

    A run always has an int run seed (flows.prepare records one); None, a config used outside
    any run (tests, benchmarks), counts as 0.
    """
    digest = hashlib.sha256(f"{run_seed or 0}:{stage}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def instruction_requests(
    seeds: list[SeedTask], machine: Sequence[str] | ExampleStock, cfg: GenerateConfig, start: int, count: int,
    languages: list[str] | None = None,
) -> list[Request]:
    """Requests `start .. start+count-1` of the bootstrapping stage.

    `machine` is what may be shown besides the seeds (an `ExampleStock` built once per round,
    or the machine instructions themselves); `cfg.example_sampling` picks the examples. Chat
    prompts ask for `languages` (`curate.languages`; None: the languages of the seed tasks).
    A request whose examples share a language with its own teacher (`cfg.teacher_for`) goes
    to that teacher, in that teacher's mode; the rows it yields stay with it
    (`meta.teacher_language`).
    """
    by_language = cfg.teachers_by_language()
    stock = machine if isinstance(machine, ExampleStock) else ExampleStock.build(seeds, machine, cfg.example_sampling)
    if languages is None:
        languages = list(dict.fromkeys(lang for t in seeds if (lang := detect_language(t.instruction))))
    requests = []
    for index in range(start, start + count):
        seed = request_seed(cfg.run_seed, "instructions", index)
        chosen, machine_shown = draw_examples(stock, random.Random(seed), cfg.seed_per_prompt,
                                              cfg.machine_per_prompt, cfg.example_sampling)
        examples = [t.instruction for t in chosen] + machine_shown
        info = {"seed_ids": [t.id for t in chosen]}
        asked = request_languages(examples, languages)
        own = asked[0] if len(asked) == 1 and asked[0] in by_language else ""
        if by_language.get(own, cfg.teacher).mode == "base":
            info.update(first=len(examples) + 1, wanted=cfg.new_per_request)
            requests.append(Request("instructions", index, seed, [], None, info, prompt=bp.instruction_prompt(examples),
                                    stop=tuple(bp.instruction_stop(len(examples), cfg.new_per_request)), teacher=own))
            continue
        requests.append(
            Request("instructions", index, seed, instruction_messages(examples, cfg.new_per_request, asked),
                    tasks_schema(cfg.new_per_request), info, teacher=own)
        )
    return requests


def request_languages(examples: Sequence[str], languages: Sequence[str]) -> list[str]:
    """The languages one request asks for: its examples' language when they share one of
    `languages` (novelty sampling shows one language per request), else all of `languages`.
    Six Korean examples under "in English or Korean like the examples" leave the language to
    the teacher; a Korean-only seed file's kept rows were English (2026-12-02, chat teacher).
    Examples in several languages (the uniform draw) keep the whole list."""
    shown = list(dict.fromkeys(lang for e in examples if (lang := detect_language(e))))
    return shown if len(shown) == 1 and shown[0] in languages else list(languages)


def instruction_candidates(run_id: str, requests: list[Request], replies: list[Completion]) -> list[Candidate]:
    """One candidate per parsed instruction; one `parse_error` candidate per unusable reply."""
    out: list[Candidate] = []
    for req, reply in zip(requests, replies, strict=True):
        if req.prompt is not None:
            tasks, error = base_parsing.parse_task_list(reply.text, req.info["first"], req.info["wanted"], reply.finish_reason)
        else:
            tasks, error = parse_instructions(reply.text, reply.finish_reason)
        meta = {"run_id": run_id, "request_index": req.index, "request_seed": req.seed,
                "seed_ids": req.info.get("seed_ids", [])}
        if req.teacher:
            meta["teacher_language"] = req.teacher
        if error:
            out.append(Candidate(id=f"{run_id}-i{req.index:05d}-x", parse_error=f"instructions: {error}",
                                 raw=reply.text, finish_reason=reply.finish_reason, meta=meta))
            continue
        for j, task in enumerate(tasks):
            out.append(Candidate(id=f"{run_id}-i{req.index:05d}-{j}", instruction=task, meta=meta))
    return out


def unique_instructions(candidates: list[Candidate], seeds: list[SeedTask]) -> list[str]:
    """Parsed instructions that are new (exactly) w.r.t. seeds and each other: the machine
    examples of Self-Instruct's uniform draw. A failed instance does not unmake its instruction."""
    seen = {normalize(t.instruction) for t in seeds}
    pool = []
    for c in candidates:
        key = normalize(c.instruction)
        if not (c.parse_error or "").startswith("instructions") and key and key not in seen:
            seen.add(key)
            pool.append(c.instruction)
    return pool


def request_indices(count: int, start: int, indices: Sequence[int] | None) -> Sequence[int]:
    """The request indices of `count` candidates: `indices` when given (one language's rows of
    a round keep their places in it), else `start`, `start+1`, ..."""
    if indices is None:
        return range(start, start + count)
    if len(indices) != count:
        raise ValueError(f"{len(indices)} request indices for {count} candidates")
    return indices


def classification_requests(candidates: list[Candidate], cfg: GenerateConfig,
                            seeds: Sequence[SeedTask] = (), *, start: int = 0,
                            indices: Sequence[int] | None = None) -> list[Request]:
    """Is each instruction a classification task? Requests indexed from `start` (rounds
    continue the count) or by `indices`. Base mode shows `seeds` as Yes/No examples and asks
    twice, the second time the other way round (`base_prompts`): requests n..2n-1 are the
    inverse questions of candidates 0..n-1, with the same index and seed. Every candidate is
    asked in `cfg.teacher`'s mode: the caller groups rows by their teacher."""
    requests = []
    for i, c in zip(request_indices(len(candidates), start, indices), candidates):
        seed = request_seed(cfg.run_seed, "classify", i)
        if cfg.teacher.mode == "base":
            requests.append(Request("classify", i, seed, [], None, {"id": c.id},
                                    prompt=bp.classification_prompt(c.instruction, seeds, seed),
                                    stop=tuple(bp.classification_stop())))
        else:
            requests.append(Request("classify", i, seed, classification_messages(c.instruction),
                                    CLASSIFICATION_SCHEMA, {"id": c.id}))
    if cfg.teacher.mode == "base":
        requests += [Request("classify", r.index, r.seed, [], None, dict(r.info, inverse=True),
                             prompt=bp.classification_prompt(c.instruction, seeds, r.seed, inverse=True),
                             stop=r.stop) for c, r in zip(candidates, list(requests))]
    return requests


def instance_requests(candidates: list[Candidate], seeds: list[SeedTask], cfg: GenerateConfig, *,
                      start: int = 0, indices: Sequence[int] | None = None) -> list[Request]:
    """One instance request per instruction, with two seed tasks of the same kind as demos,
    indexed from `start` (rounds continue the count) or by `indices`."""
    by_kind = {kind: [s for s in seeds if s.is_classification == kind] or seeds for kind in (True, False)}
    requests = []
    for i, c in zip(request_indices(len(candidates), start, indices), candidates):
        seed = request_seed(cfg.run_seed, "instance", i)
        if cfg.teacher.mode == "base":
            demos = bp.instance_demos(c.instruction, c.is_classification, seeds, seed)
            requests.append(Request("instance", i, seed, [], None, {"id": c.id},
                                    prompt=bp.instance_prompt(c.instruction, c.is_classification, demos),
                                    stop=tuple(bp.instance_stop(c.instruction))))
            continue
        demos = random.Random(seed).sample(by_kind[c.is_classification], min(2, len(by_kind[c.is_classification])))
        requests.append(Request("instance", i, seed, instance_messages(c.instruction, c.is_classification, demos),
                                instance_schema(c.is_classification), {"id": c.id}))
    return requests


def apply_classification(candidates: list[Candidate], replies: list[Completion]) -> list[Candidate]:
    """Each candidate with `is_classification` set. Twice as many replies as candidates are
    base mode's two questions: classification only if the first says yes and the second
    (open-ended?) says no."""
    inverse: list[Completion | None] = [None] * len(candidates)
    if len(replies) == 2 * len(candidates):
        replies, inverse = replies[: len(candidates)], replies[len(candidates) :]
    out = []
    for c, reply, other in zip(candidates, replies, inverse, strict=True):
        label, error = parse_is_classification(reply.text)
        if other is not None and label:
            open_ended, _ = parse_is_classification(other.text)
            label = open_ended is False
        meta = dict(c.meta, classification_raw=reply.text) if error else c.meta
        # An unanswered identification defaults to input-first generation, the common case.
        out.append(c.model_copy(update={"is_classification": bool(label), "meta": meta}))
    return out


def apply_instances(candidates: list[Candidate], replies: list[Completion], teacher: str,
                    sampling: Sampling, mode: str = "chat") -> list[Candidate]:
    """Each candidate with its parsed instance, or its parse error and the raw reply."""
    out = []
    for c, reply in zip(candidates, replies, strict=True):
        if mode == "base":
            inst, error = base_parsing.parse_instance_text(reply.text, c.is_classification)
        else:
            inst, error = parse_instance(reply.text, reply.finish_reason)
        meta = dict(c.meta, teacher=teacher, sampling=sampling.model_dump(),
                    prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
        update: dict[str, Any] = {"finish_reason": reply.finish_reason, "meta": meta}
        if error:
            update.update(parse_error=f"instance: {error}", raw=reply.text)
        else:
            update.update(input=inst.input, output=inst.output)
        out.append(c.model_copy(update=update))
    return out


def request_log(requests: list[Request], replies: list[Completion]) -> list[dict[str, Any]]:
    """What the requests.jsonl log keeps per request: enough to audit tokens and raw text."""
    return [
        {"stage": r.stage, "index": r.index, "seed": r.seed, "finish_reason": c.finish_reason,
         "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
         "attempts": c.attempts, "text": c.text, **({"teacher_language": r.teacher} if r.teacher else {})}
        for r, c in zip(requests, replies)
    ]
