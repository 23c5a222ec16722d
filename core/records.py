"""The records germinate passes around: seed tasks, candidates and ledger rows.

Seed files use the Self-Instruct JSONL format: `id, name, instruction, instances[{input,
output}], is_classification`. Eval tasks may add machine-checkable `constraints`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import GerminateError, first_error


class Instance(BaseModel):
    model_config = ConfigDict(extra="ignore")
    input: str = ""
    output: str


class SeedTask(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    name: str = ""
    instruction: str = Field(min_length=1)
    instances: list[Instance] = Field(min_length=1)
    is_classification: bool = False
    constraints: list[dict[str, Any]] = Field(default_factory=list)


class Candidate(BaseModel):
    """One generated (or imported) instruction/input/output triple, before curation.

    A teacher reply that could not be parsed is still a candidate: `parse_error` says why and
    `raw` keeps the text, so nothing the teacher produced is lost.
    """

    id: str
    instruction: str = ""
    input: str = ""
    output: str = ""
    is_classification: bool = False
    finish_reason: str | None = None
    parse_error: str | None = None
    raw: str | None = None
    # Provenance: run id, request index, seed ids, teacher, sampling.
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("*", mode="before")
    @classmethod
    def _encodable(cls, value: Any) -> Any:
        # Teacher text may carry lone surrogates; they would make every later write fail.
        return sanitize(value)


class LedgerRow(Candidate):
    """A candidate with its verdict: kept, or dropped with every reason that applied."""

    verdict: Literal["kept", "dropped"]
    reasons: list[str] = Field(default_factory=list)
    # Highest similarity to an earlier instruction (pool or batch), and which one it was.
    similarity: float | None = None
    neighbour_id: str | None = None
    neighbour_text: str | None = None
    # Quality signals' scores (filters/quality/), stored so thresholds can change later.
    scores: dict[str, float] = Field(default_factory=dict)


def clean_text(text: str) -> str:
    """Replace lone surrogates (a `\\ud83d` escape in JSON) that UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def sanitize(obj: Any) -> Any:
    """`clean_text` on every string inside decoded JSON."""
    if isinstance(obj, str):
        return clean_text(obj)
    if isinstance(obj, list):
        return [sanitize(x) for x in obj]
    if isinstance(obj, dict):
        return {clean_text(k) if isinstance(k, str) else k: sanitize(v) for k, v in obj.items()}
    return obj


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a bad line is an error naming it."""
    path = Path(path)
    if not path.is_file():
        raise GerminateError(f"file not found: {path}")
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise GerminateError(f"{path}:{lineno}: not valid UTF-8") from None
            if not line.strip():
                continue
            try:
                row = sanitize(json.loads(line))
            except json.JSONDecodeError as exc:
                raise GerminateError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
            except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
                raise GerminateError(f"{path}:{lineno}: malformed JSON ({type(exc).__name__})") from None
            if not isinstance(row, dict):
                raise GerminateError(f"{path}:{lineno}: expected a JSON object")
            rows.append((lineno, row))
    return rows


def load_tasks(path: Path, what: str = "seeds") -> list[SeedTask]:
    """Load Self-Instruct JSONL tasks, failing on the first bad line with its number."""
    tasks: list[SeedTask] = []
    seen: set[str] = set()
    for lineno, row in read_jsonl(path):
        try:
            task = SeedTask.model_validate(row)
        except ValidationError as exc:
            key, msg = first_error(exc)
            raise GerminateError(f"{path}:{lineno}: bad task field '{key}': {msg}") from None
        if task.id in seen:
            raise GerminateError(f"{path}:{lineno}: duplicate task id '{task.id}'")
        seen.add(task.id)
        tasks.append(task)
    if not tasks:
        raise GerminateError(f"{path}: no {what} tasks in file")
    return tasks


def user_prompt(row: LedgerRow | dict) -> str:
    """Instruction and input joined the one way training, eval and serving all use."""
    instruction, inp = (row.instruction, row.input) if isinstance(row, LedgerRow) else (row["instruction"], row.get("input", ""))
    return f"{instruction}\n\n{inp}" if inp else instruction


def similarity_text(instruction: str, input: str, include_input: bool) -> str:
    """What duplicates are judged on: the instruction, plus the input when configured (and
    not blank). Every comparison side (candidates, pool, index, refilter) builds it here."""
    return f"{instruction}\n{input}" if include_input and input.strip() else instruction
