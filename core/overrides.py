"""A person's keep/drop decisions on single rows, from the review page: `<data root>/overrides.jsonl`.

One JSON object per line, one line per candidate id (its latest decision), with the note, the
time, and a copy of the row as it was judged (so the decisions export as labeled rows without
the run). Every later curation honours them (`apply`), the pool leaves out rows a person dropped
and takes in rows a person kept (`core.pool.honour_overrides`), so tuning never sees a dropped row.

Nothing here is ever lost: a write takes the lock, reads and validates the whole file, then
replaces it atomically (`core.store`), so a crash leaves the old file or the new one. A file
that does not read back (edited by hand and broken) stops every reader and writer with one line
naming the file and line; it is never rewritten or replaced, so the earlier decisions stay on
disk until the person fixes that line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import GerminateError, first_error
from core.records import LedgerRow
from core.store import atomic_write_jsonl, exclusive

FILENAME = "overrides.jsonl"
DECISIONS = ("keep", "drop")
# The reason a person's drop adds to a row's reasons (after the filters' own, which stay).
OVERRIDE_DROP = "override_drop"
# Where a ledger row records the decision: `meta.override` = {decision, note, time}; a kept row
# keeps the filters' reasons it overruled in `meta.overruled_reasons` (its `reasons` stays empty:
# a kept row has no drop reasons, so counts, the card and the ledger invariant keep their meaning).
META_KEY = "override"
OVERRULED_KEY = "overruled_reasons"


class Override(BaseModel):
    """One decision: keep or drop candidate `id`, why, when, and the row as it was judged."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    decision: Literal["keep", "drop"]
    note: str = ""
    time: str = ""
    run_id: str = ""  # the run whose ledger the person was reading
    # The run the row belongs to in the pool ('' when its run does not feed the pool).
    pool_run: str = ""
    instruction: str = ""
    input: str = ""
    output: str = ""
    source: str = ""  # "<teacher>:<mode>" of a generated row, "input:<format>" of an imported one
    # What the filters said when the person decided.
    filter_verdict: Literal["kept", "dropped"] | None = None
    filter_reasons: list[str] = Field(default_factory=list)


def overrides_path(data_root: Path) -> Path:
    return Path(data_root) / FILENAME


def load(data_root: Path) -> dict[str, Override]:
    """Every decision by candidate id (a missing file has none); a damaged line is a
    `GerminateError` naming it, and nothing is returned that could be written back without it."""
    path = overrides_path(data_root)
    if not path.exists():
        return {}
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise GerminateError(f"{path}: damaged override file (not UTF-8); fix it by hand, "
                             "nothing in it was changed") from None
    decisions: dict[str, Override] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            decision = Override.model_validate(row)
        except ValidationError as exc:
            key, msg = first_error(exc)
            raise GerminateError(f"{path}:{lineno}: damaged override line, field '{key}': {msg}; "
                                 "fix or delete that line, nothing in the file was changed") from None
        except (ValueError, RecursionError) as exc:
            raise GerminateError(f"{path}:{lineno}: damaged override line ({type(exc).__name__}); "
                                 "fix or delete that line, nothing in the file was changed") from None
        decisions.pop(decision.id, None)  # a repeated id (a hand edit): the later line wins
        decisions[decision.id] = decision
    return decisions


def dropped_ids(data_root: Path) -> set[str]:
    """Ids a person dropped."""
    return {o.id for o in load(data_root).values() if o.decision == "drop"}


def _write(data_root: Path, change) -> dict[str, Override]:
    """Under the lock: read (a damaged file raises before anything is written), change, replace."""
    path = overrides_path(data_root)
    with exclusive(path.with_name(".overrides.lock"), "the overrides file"):
        decisions = load(data_root)
        change(decisions)
        atomic_write_jsonl(path, [o.model_dump(mode="json") for o in decisions.values()])
    return decisions


def save(data_root: Path, override: Override) -> Override:
    """Record (or replace) the decision on `override.id`; returns it with its time set."""
    stamped = override.model_copy(update={"time": override.time or _now()})

    def change(decisions: dict[str, Override]) -> None:
        decisions.pop(stamped.id, None)
        decisions[stamped.id] = stamped

    _write(data_root, change)
    return stamped


def clear(data_root: Path, candidate_id: str) -> bool:
    """Forget the decision on `candidate_id` (the filters decide again); False if there was none."""
    found = []

    def change(decisions: dict[str, Override]) -> None:
        found.append(decisions.pop(candidate_id, None) is not None)

    _write(data_root, change)
    return found[0]


def filters_said(row: LedgerRow) -> tuple[str, list[str]]:
    """(verdict, reasons) the filters gave `row`, before any person's decision recorded in it."""
    decided = row.meta.get(META_KEY)
    if not decided:
        return row.verdict, list(row.reasons)
    if decided.get("decision") == "keep":
        reasons = list(row.meta.get(OVERRULED_KEY) or [])
    else:
        reasons = [r for r in row.reasons if r != OVERRIDE_DROP]
    return ("dropped" if reasons else "kept"), reasons


def apply(rows: Iterable[LedgerRow], decisions: dict[str, Override]) -> list[LedgerRow]:
    """The rows with each person's decision applied last: a drop adds `override_drop` to the
    filters' reasons, a keep empties them into `meta.overruled_reasons`. Idempotent: a row that
    already records a decision is first put back to what the filters said."""
    out = []
    for row in rows:
        verdict, reasons = filters_said(row)
        meta: dict[str, Any] = {k: v for k, v in row.meta.items() if k not in (META_KEY, OVERRULED_KEY)}
        decision = decisions.get(row.id)
        if decision is not None:
            meta[META_KEY] = {"decision": decision.decision, "note": decision.note, "time": decision.time}
            if decision.decision == "keep":
                verdict, meta[OVERRULED_KEY], reasons = "kept", reasons, []
            else:
                verdict, reasons = "dropped", [*reasons, OVERRIDE_DROP]
        out.append(row.model_copy(update={"verdict": verdict, "reasons": reasons, "meta": meta}))
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
