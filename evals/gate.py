"""The promotion gate: does a newly tuned adapter replace the champion? And the registry that
remembers the champion and every decision, in `<data_root>/registry.json`.

A candidate is promoted only when its chosen metric beats the champion's by MORE than
`margin`. Strictly more, because eval scores are noisy (26 tasks move a fraction in steps of
~0.04): a tie at the margin is not evidence of improvement, and keeping the champion on a tie
avoids swapping adapters back and forth on noise. Deltas equal to the margin up to float
rounding (0.75 - 0.70 is 0.05000000000000004) also count as equal, so the decision does not
hinge on the last bit of a float.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import GerminateError, first_error
from core.store import atomic_write_json, exclusive, remove_partial

Scores = dict[str, float | None]

REGISTRY_FILE = "registry.json"


def _usable(value: float | None) -> TypeGuard[float]:
    return value is not None and not math.isnan(value)


def decide(
    candidate: Scores,
    champion: Scores | None,
    metric: str,
    margin: float,
    higher_is_better: bool = True,
) -> dict[str, Any]:
    """Whether `candidate` should replace `champion`, judged on one metric, with the reason.

    Returns {"promote", "reason", "metric", "candidate", "champion", "delta"}, where `delta` is
    the improvement in the metric's units, positive when the candidate is better (for a
    lower-is-better metric such as heldout_loss that is champion - candidate).

    - no champion yet: promote (there is nothing to protect);
    - the candidate has no value for the metric (None/NaN, e.g. strict_accuracy on an eval
      set without constraints): do not promote;
    - the champion has no value: do not promote (we cannot show an improvement);
    - otherwise promote only if delta > margin, strictly (see the module docstring).

    For a pairwise metric such as the judge's win rate, pass the champion's score as 0.5 (it
    ties with itself). A metric name missing from the candidate's scores is an error, so a
    typo in the config does not quietly block or allow every promotion.
    """
    if margin < 0 or math.isnan(margin):
        raise GerminateError(f"promotion margin must be >= 0, got {margin}")
    if metric not in candidate:
        raise GerminateError(
            f"metric '{metric}' is not among the candidate's scores ({', '.join(sorted(candidate)) or 'none'})"
        )
    cand = candidate[metric]
    champ = None if champion is None else champion.get(metric)
    decision: dict[str, Any] = {"promote": False, "reason": "", "metric": metric,
                                "candidate": cand, "champion": champ, "delta": None}
    if champion is None:
        return {**decision, "promote": True, "reason": "no champion yet"}
    if not _usable(cand):
        return {**decision, "reason": f"candidate has no '{metric}' score"}
    if not _usable(champ):
        return {**decision, "reason": f"champion has no '{metric}' score to compare against"}
    delta = cand - champ if higher_is_better else champ - cand
    at_margin = math.isclose(delta, margin, rel_tol=1e-9, abs_tol=1e-12)
    promote = delta > margin and not at_margin
    verb = "exceeds" if promote else "does not exceed"
    return {**decision, "promote": promote, "delta": delta,
            "reason": f"{metric} improvement {delta:+.4f} {verb} margin {margin:g}"}


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
