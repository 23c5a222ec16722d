"""Read an existing dataset as candidates, so `germinate curate --input` cleans any data.

Formats, detected per file: Alpaca (`instruction/input/output`, a JSON array or JSONL), chat
`messages` JSONL (first user turn -> instruction, first assistant turn -> output) and
Self-Instruct JSONL (`instruction` + `instances`, one candidate per instance).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import GerminateError
from core.records import Candidate, read_jsonl, sanitize

FORMATS = ("auto", "alpaca", "messages", "self-instruct")


def detect_format(row: dict[str, Any]) -> str | None:
    if "messages" in row:
        return "messages"
    if "instances" in row:
        return "self-instruct"
    if "instruction" in row:
        return "alpaca"
    return None


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line or item number, row): a `.json` file holding an array, else JSONL."""
    if path.suffix == ".json":
        try:
            data = sanitize(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise GerminateError(f"{path}: not a valid JSON file ({type(exc).__name__})") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise GerminateError(f"{path}: expected a JSON array of objects")
        return list(enumerate(data, start=1))
    return read_jsonl(path)


def _text(value: Any, path: Path, n: int, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise GerminateError(f"{path}:{n}: field '{key}' must be a string")
    return value


def _from_messages(row: dict, path: Path, n: int) -> tuple[str, str]:
    msgs = row["messages"]
    if not isinstance(msgs, list) or not all(isinstance(m, dict) for m in msgs):
        raise GerminateError(f"{path}:{n}: 'messages' must be a list of {{role, content}} objects")
    user = next((m for m in msgs if m.get("role") == "user"), None)
    if user is None:
        raise GerminateError(f"{path}:{n}: 'messages' has no user turn")
    reply = next((m for m in msgs if m.get("role") == "assistant"), {})
    return _text(user.get("content"), path, n, "content"), _text(reply.get("content"), path, n, "content")


def read_candidates(path: Path, run_id: str, fmt: str = "auto") -> list[Candidate]:
    path = Path(path)
    if not path.is_file():
        raise GerminateError(f"input file not found: {path}")
    out: list[Candidate] = []
    for n, row in _rows(path):
        kind = detect_format(row) if fmt == "auto" else fmt
        if kind is None:
            raise GerminateError(f"{path}:{n}: unknown row format (expected 'messages', 'instances' or 'instruction')")
        meta = {"run_id": run_id, "source": str(path), "line": n, "format": kind}
        try:
            if kind == "messages":
                instruction, output = _from_messages(row, path, n)
                out.append(Candidate(id=f"{run_id}-x{n:06d}", instruction=instruction, output=output, meta=meta))
            elif kind == "alpaca":
                out.append(Candidate(id=f"{run_id}-x{n:06d}",
                                     instruction=_text(row.get("instruction"), path, n, "instruction"),
                                     input=_text(row.get("input"), path, n, "input"),
                                     output=_text(row.get("output"), path, n, "output"), meta=meta))
            else:
                instances = row.get("instances")
                if not isinstance(instances, list) or not instances:
                    raise GerminateError(f"{path}:{n}: 'instances' must be a non-empty list")
                for j, inst in enumerate(instances):
                    if not isinstance(inst, dict):
                        raise GerminateError(f"{path}:{n}: instance {j} is not an object")
                    out.append(Candidate(
                        id=f"{run_id}-x{n:06d}-{j}",
                        instruction=_text(row.get("instruction"), path, n, "instruction"),
                        input=_text(inst.get("input"), path, n, "input"),
                        output=_text(inst.get("output"), path, n, "output"),
                        is_classification=bool(row.get("is_classification", False)), meta=meta))
        except KeyError as exc:
            raise GerminateError(f"{path}:{n}: missing field {exc}") from None
    if not out:
        raise GerminateError(f"{path}: no rows to curate")
    return out
