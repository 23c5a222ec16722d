"""The review page's rows: a run's ledger as plain JSON-ready dicts, searched, filtered and counted.

Every score the ledger holds is shown: the numeric entries of a `scores` column when the ledger
has one (a map or a struct; nested values flatten to `name.part`), any other numeric column that
is not one of the ledger's own fields, and `similarity`. A ledger without them has fewer score
filters, nothing else changes. Verdicts are shown as they stand with the person's current
decisions (`core.overrides`, re-read on every request), beside what the filters said.

Search is a substring match of every whitespace-separated term of the query on the
NFC-normalised, casefolded text of the row itself with spaces removed (instruction, input,
output, raw teacher text, reasons, id, the person's note; not its neighbour's, which would match
rows for text they do not contain). That works for Korean, whose spacing varies: Hangul typed
decomposed (NFD, as macOS writes file names) matches the composed text, a partial word ("번역")
finds "번역해", and "번역해 주세요", "번역해주세요" and "번역 해 주 세요" all find each other.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from core import overrides, pool
from core.overrides import Override
from core.records import LedgerRow
from core.store import RunDir, read_jsonl_rows
from core.text import fold
from filters.curate import EXACT_DUPLICATE, NEAR_DUPLICATE
from reports.outputs import LEDGER_SCHEMA

VERDICTS = ("all", "kept", "dropped", "overridden", "changed")
_OWN_COLUMNS = set(LEDGER_SCHEMA.names) | {"scores"}


def _spaceless(text: str) -> str:
    return fold(text).replace(" ", "")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _flatten(prefix: str, value: Any, numbers: dict[str, float], notes: dict[str, str]) -> None:
    if isinstance(value, list) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        value = dict(value)  # pyarrow returns a map column as (key, value) pairs
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, numbers, notes)
    elif (n := _number(value)) is not None:
        numbers[prefix] = n
    elif isinstance(value, str) and value:
        notes[prefix] = value  # e.g. a rater's one-line rationale


def scores_of(record: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """(numeric scores, text notes) of one ledger record, whatever score columns it has."""
    numbers: dict[str, float] = {}
    notes: dict[str, str] = {}
    _flatten("", record.get("scores"), numbers, notes)
    for key, value in record.items():
        if key not in _OWN_COLUMNS and (n := _number(value)) is not None:
            numbers.setdefault(key, n)
    if (sim := _number(record.get("similarity"))) is not None:
        numbers.setdefault("similarity", sim)
    return numbers, notes


@dataclass
class Entry:
    """One ledger row: the validated row, its scores, and its search text (the note aside)."""

    row: LedgerRow
    scores: dict[str, float]
    notes: dict[str, str]
    haystack: str = ""


@dataclass
class ReviewData:
    """A run's ledger (read once) and the neighbours its rows name."""

    run: RunDir
    entries: list[Entry]
    pool_rows: dict[str, dict] = field(default_factory=dict)
    index: dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {e.row.id: e for e in self.entries}

    @classmethod
    def load(cls, run: RunDir) -> "ReviewData":
        records = pq.read_table(run.file("ledger.parquet")).to_pylist()
        entries = []
        for rec in records:
            numbers, notes = scores_of(rec)
            column: dict[str, float] = {}  # the `scores` column alone, as a plain mapping
            _flatten("", rec.get("scores"), column, {})
            row = LedgerRow.model_validate(dict(rec, meta=json.loads(rec.get("meta") or "{}"), scores=column))
            text = " ".join([row.id, row.instruction, row.input, row.output, row.raw or "", " ".join(row.reasons)])
            entries.append(Entry(row, numbers, notes, _spaceless(text)))
        # Neighbours may be pool rows, also ones a person has since dropped.
        every = read_jsonl_rows(pool.pool_path(run.data_root)) + read_jsonl_rows(pool.removed_path(run.data_root))
        return cls(run, entries, {r["id"]: r for r in every})


def in_pool(data: ReviewData) -> set[str] | None:
    """Ids in the pool now (None when this run's rows do not go to the pool)."""
    if data.run.status.get("kind") not in pool.FEEDS_POOL:
        return None
    return {r["id"] for r in pool.load_pool(data.run.data_root)}


def view(entry: Entry, decisions: dict[str, Override], data: ReviewData,
         pooled: set[str] | None = None) -> dict[str, Any]:
    """A row as the page shows it: its verdict now, what the filters said, scores, neighbour, and
    (`pooled`: `in_pool`) whether it is in the pool."""
    row = entry.row
    filter_verdict, filter_reasons = overrides.filters_said(row)
    (now,) = overrides.apply([row], decisions)
    decided = decisions.get(row.id)
    return {
        "id": row.id, "verdict": now.verdict, "reasons": now.reasons,
        "filter_verdict": filter_verdict, "filter_reasons": filter_reasons,
        "instruction": row.instruction, "input": row.input, "output": row.output, "raw": row.raw,
        "finish_reason": row.finish_reason, "parse_error": row.parse_error,
        "is_classification": row.is_classification, "similarity": row.similarity,
        "neighbour_id": row.neighbour_id, "neighbour_text": row.neighbour_text,
        "neighbour": neighbour(row, data), "duplicate": bool({EXACT_DUPLICATE, NEAR_DUPLICATE} & set(filter_reasons)),
        "scores": entry.scores, "score_notes": entry.notes,
        "override": {"decision": decided.decision, "note": decided.note, "time": decided.time} if decided else None,
        "meta": row.meta, "in_pool": None if pooled is None else row.id in pooled,
    }


def neighbour(row: LedgerRow, data: ReviewData) -> dict[str, Any] | None:
    """The nearest earlier text in full, where it can be found: a row of this run, or the pool."""
    if not row.neighbour_id:
        return None
    other = data.index.get(row.neighbour_id)
    if other is not None:
        r = other.row
        return {"id": r.id, "where": "this run", "instruction": r.instruction, "input": r.input,
                "output": r.output, "verdict": r.verdict}
    if (p := data.pool_rows.get(row.neighbour_id)) is not None:
        return {"id": p["id"], "where": f"pool (run {p['run_id']})", "instruction": p["instruction"],
                "input": p.get("input", ""), "output": p.get("output", ""), "verdict": "kept"}
    # A seed task (or a row since removed): only the compared text is known.
    return {"id": row.neighbour_id, "where": "seed or earlier text", "instruction": row.neighbour_text or "",
            "input": "", "output": "", "verdict": ""}


@dataclass(frozen=True)
class Query:
    """What the page asks for; every part optional."""

    verdict: str = "all"
    reason: str = ""
    q: str = ""
    score: str = ""
    lo: float | None = None
    hi: float | None = None


def matches(entry: Entry, query: Query, decision: Override | None) -> bool:
    """Whether a row passes every filter of `query` (its verdict judged with `decision`)."""
    row = entry.row
    filter_verdict, filter_reasons = overrides.filters_said(row)
    (now,) = overrides.apply([row], {row.id: decision} if decision else {})
    if query.verdict == "kept" and now.verdict != "kept" or query.verdict == "dropped" and now.verdict != "dropped":
        return False
    if query.verdict == "overridden" and decision is None:
        return False
    if query.verdict == "changed" and now.verdict == filter_verdict:
        return False
    if query.reason and query.reason not in set(now.reasons) | set(filter_reasons):
        return False
    if query.score:
        value = entry.scores.get(query.score)
        if value is None or (query.lo is not None and value < query.lo) or (query.hi is not None and value > query.hi):
            return False
    if query.q:
        haystack = entry.haystack + (" " + _spaceless(decision.note) if decision and decision.note else "")
        return all(term in haystack for term in fold(query.q).split(" "))
    return True


def select(data: ReviewData, query: Query, decisions: dict[str, Override]) -> list[Entry]:
    """The rows that pass `query`, in ledger order."""
    return [e for e in data.entries if matches(e, query, decisions.get(e.row.id))]


def facets(data: ReviewData, decisions: dict[str, Override]) -> dict[str, Any]:
    """Counts for the page's filters: verdicts, reasons (the filters' and the person's), scores."""
    now = overrides.apply([e.row for e in data.entries], decisions)
    reasons: Counter[str] = Counter()
    for entry, row in zip(data.entries, now):
        reasons.update(set(row.reasons) | set(overrides.filters_said(entry.row)[1]))
    scores: dict[str, dict[str, float]] = {}
    for entry in data.entries:
        for name, value in entry.scores.items():
            s = scores.setdefault(name, {"min": value, "max": value, "rows": 0})
            s["min"], s["max"], s["rows"] = min(s["min"], value), max(s["max"], value), s["rows"] + 1
    kept = sum(r.verdict == "kept" for r in now)
    return {
        "rows": len(now), "kept": kept, "dropped": len(now) - kept,
        "filters_kept": sum(overrides.filters_said(e.row)[0] == "kept" for e in data.entries),
        "overridden": sum(e.row.id in decisions for e in data.entries),
        "reasons": dict(reasons.most_common()), "scores": dict(sorted(scores.items())),
    }


def outcome(rows: list[LedgerRow]) -> dict[str, Any]:
    """kept / dropped / drops per reason of a ledger (the what-if counts)."""
    kept = sum(r.verdict == "kept" for r in rows)
    return {"rows": len(rows), "kept": kept, "dropped": len(rows) - kept,
            "reasons": dict(Counter(x for r in rows for x in r.reasons).most_common())}
