"""Self-Instruct (Wang et al. 2022) as plain functions over records.

1. Instruction bootstrapping: each request shows k seed + m machine instructions (6 + 2 by
   default, as in the paper; which ones: `generators.example_sampling`) and asks for new ones;
   rounds repeat until enough rows are kept (flows/generate.py).
2. Classification identification: does the task have a small fixed label set?
3. Instance generation: an input (possibly empty) and an output; classification tasks go
   output-first.

Every request carries its own seed derived from (run seed, stage, request index), so a resumed
run rebuilds exactly the requests it had not finished. Teacher calls are passed in (`ask`), so
the flow can wrap them in Prefect tasks with retries and tests can drive them with a fake.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from core.config import GenerateConfig, Sampling
from core.records import Candidate, SeedTask
from core.text import normalize
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


Ask = Callable[[list[Request], Sampling], list[Completion]]


def request_seed(run_seed: int | None, stage: str, index: int) -> int:
    """A stable 31-bit seed for one request (independent of Python's hash randomisation).

    A run always has an int run seed (flows.prepare records one); None, a config used outside
    any run (tests, benchmarks), counts as 0.
    """
    digest = hashlib.sha256(f"{run_seed or 0}:{stage}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def instruction_requests(
    seeds: list[SeedTask], machine: Sequence[str] | ExampleStock, cfg: GenerateConfig, start: int, count: int
) -> list[Request]:
    """Requests `start .. start+count-1` of the bootstrapping stage.

    `machine` is what may be shown besides the seeds (an `ExampleStock` built once per round,
    or the machine instructions themselves); `cfg.example_sampling` picks the examples.
    """
    stock = machine if isinstance(machine, ExampleStock) else ExampleStock.build(seeds, machine, cfg.example_sampling)
    requests = []
    for index in range(start, start + count):
        seed = request_seed(cfg.run_seed, "instructions", index)
        chosen, machine_shown = draw_examples(stock, random.Random(seed), cfg.seed_per_prompt,
                                              cfg.machine_per_prompt, cfg.example_sampling)
        examples = [t.instruction for t in chosen] + machine_shown
        requests.append(
            Request("instructions", index, seed, instruction_messages(examples, cfg.new_per_request),
                    tasks_schema(cfg.new_per_request), {"seed_ids": [t.id for t in chosen]})
        )
    return requests


def instruction_candidates(run_id: str, requests: list[Request], replies: list[Completion]) -> list[Candidate]:
    """One candidate per parsed instruction; one `parse_error` candidate per unusable reply."""
    out: list[Candidate] = []
    for req, reply in zip(requests, replies, strict=True):
        tasks, error = parse_instructions(reply.text, reply.finish_reason)
        meta = {"run_id": run_id, "request_index": req.index, "request_seed": req.seed,
                "seed_ids": req.info.get("seed_ids", [])}
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


def classification_requests(candidates: list[Candidate], cfg: GenerateConfig, *, start: int = 0) -> list[Request]:
    """One identification request per instruction, indexed from `start` (rounds continue the count)."""
    return [
        Request("classify", i, request_seed(cfg.run_seed, "classify", i),
                classification_messages(c.instruction), CLASSIFICATION_SCHEMA, {"id": c.id})
        for i, c in enumerate(candidates, start)
    ]


def instance_requests(candidates: list[Candidate], seeds: list[SeedTask], cfg: GenerateConfig, *,
                      start: int = 0) -> list[Request]:
    """One instance request per instruction, with two seed tasks of the same kind as demos,
    indexed from `start` (rounds continue the count)."""
    by_kind = {kind: [s for s in seeds if s.is_classification == kind] or seeds for kind in (True, False)}
    requests = []
    for i, c in enumerate(candidates, start):
        seed = request_seed(cfg.run_seed, "instance", i)
        demos = random.Random(seed).sample(by_kind[c.is_classification], min(2, len(by_kind[c.is_classification])))
        requests.append(Request("instance", i, seed, instance_messages(c.instruction, c.is_classification, demos),
                                instance_schema(c.is_classification), {"id": c.id}))
    return requests


def apply_classification(candidates: list[Candidate], replies: list[Completion]) -> list[Candidate]:
    out = []
    for c, reply in zip(candidates, replies, strict=True):
        label, error = parse_is_classification(reply.text)
        meta = dict(c.meta, classification_raw=reply.text) if error else c.meta
        # An unanswered identification defaults to input-first generation, the common case.
        out.append(c.model_copy(update={"is_classification": bool(label), "meta": meta}))
    return out


def apply_instances(candidates: list[Candidate], replies: list[Completion], teacher: str,
                    sampling: Sampling) -> list[Candidate]:
    out = []
    for c, reply in zip(candidates, replies, strict=True):
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
         "attempts": c.attempts, "text": c.text}
        for r, c in zip(requests, replies)
    ]
