"""The registry: which adapter is the champion, and every evaluated run's scores and decision,
in `<data_root>/registry.json`.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import GerminateError, first_error
from core.store import atomic_write_json, exclusive, remove_partial

Scores = dict[str, float | None]

REGISTRY_FILE = "registry.json"


class Champion(BaseModel):
    """The adapter currently in use, and the scores that earned it the place."""

    model_config = ConfigDict(extra="allow")
    run_id: str = Field(min_length=1)
    adapter: str
    base_model: str
    scores: Scores = Field(default_factory=dict)

    @field_validator("scores")
    @classmethod
    def _nan_is_na(cls, scores: Scores) -> Scores:
        # NaN is not JSON (RFC 8259); store an unusable score as null, germinate's "n/a".
        return {k: None if v is not None and math.isnan(v) else v for k, v in scores.items()}


class HistoryEntry(Champion):
    """One evaluated run: its scores, the gate's decision, whether it was promoted, and when."""

    decision: dict[str, Any] = Field(default_factory=dict)
    promoted: bool = False
    time: str = ""


class Registry(BaseModel):
    """The shape of `<data_root>/registry.json`: the champion (or null) and every recorded
    run, in order. Used to validate the file; `load` and `record` hand out plain dicts.

    Unknown fields are kept (extra="allow") so a file written by a newer germinate survives a
    rewrite by an older one. Two processes recording at once is not supported: the last
    atomic write wins.
    """

    model_config = ConfigDict(extra="allow")
    champion: Champion | None = None
    history: list[HistoryEntry] = Field(default_factory=list)


def registry_path(data_root: Path) -> Path:
    return Path(data_root) / REGISTRY_FILE


def _read(data_root: Path) -> Registry:
    path = registry_path(data_root)
    if not path.exists():
        return Registry()
    try:
        return Registry.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GerminateError(f"{path}: corrupt registry, not valid JSON ({exc}); "
                             "fix or move the file") from None
    except ValidationError as exc:
        where, msg = first_error(exc)
        where = where or "top level"
        raise GerminateError(f"{path}: corrupt registry at '{where}': {msg}; "
                             "fix or move the file") from None


def load(data_root: Path) -> dict[str, Any]:
    """{"champion": {...} | None, "history": [...]} from `<data_root>/registry.json`; empty if
    the file does not exist yet. A file that is not a valid registry is an error naming it,
    never silently reset: it holds the only record of which adapter is the champion."""
    return _read(data_root).model_dump(mode="json")


def record(data_root: Path, entry: dict[str, Any], promote: bool) -> dict[str, Any]:
    """Add `entry` (run_id, adapter, base_model, scores, decision[, time]) to the history,
    marked `promoted`, and make it the champion when `promote`; write the file atomically and
    return the new registry.

    Idempotent per run_id: recording a run again replaces its history entry in place. Not
    promoting never changes the champion, even when the entry is the champion's own run.
    """
    # Read-modify-write under a lock: two runs finishing at once must not lose an entry.
    with exclusive(registry_path(data_root).with_name(".registry.lock"), "the registry"):
        remove_partial(registry_path(data_root))  # a killed writer's temp copy
        return _record(data_root, entry, promote)


def _record(data_root: Path, entry: dict[str, Any], promote: bool) -> dict[str, Any]:
    registry = _read(data_root)
    stamped = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               **entry, "promoted": promote}
    try:
        row = HistoryEntry.model_validate(stamped)
    except ValidationError as exc:
        key, msg = first_error(exc)
        raise GerminateError(f"registry entry field '{key}': {msg}") from None
    ids = [h.run_id for h in registry.history]
    if row.run_id in ids:
        registry.history[ids.index(row.run_id)] = row
    else:
        registry.history.append(row)
    if promote:
        registry.champion = Champion.model_validate(
            row.model_dump(include={"run_id", "adapter", "base_model", "scores"}))
    data = registry.model_dump(mode="json")
    atomic_write_json(registry_path(data_root), data)
    return data
