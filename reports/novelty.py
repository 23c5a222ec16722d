"""Did tonight find anything new? Per-night novelty figures, and the nights side by side.

Stored in the curate stage of each run's status.json (`novelty`), shown by `germinate runs`,
the report page and the `germinate-novelty` artifact, so a night that added nothing is seen
the morning after, not a week later:

- `new_rows`: rows kept tonight (each joins the pool once), `pool_before` / `pool_after`;
- `new_pairs`: distinct (verb, object) pairs (`core.verb_object`) among tonight's kept rows
  that neither the pool nor the seeds had;
- `dup_of_earlier_nights`: rows dropped as exact or near duplicates whose nearest neighbour is
  a pool row from an earlier run, and its `..._share` of the rows generated; the duplicates
  of seed tasks and of this run's own rows are counted beside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from core.records import LedgerRow
from core.verb_object import verb_noun
from filters.curate import EXACT_DUPLICATE, NEAR_DUPLICATE

DUPLICATE = {EXACT_DUPLICATE, NEAR_DUPLICATE}


def verb_object_pairs(instructions: Iterable[str]) -> set[tuple[str, str]]:
    """The (verb, object) pairs among `instructions` (those with both found)."""
    return {p for p in map(verb_noun, instructions) if p and p[1]}


def novelty_figures(rows: Sequence[LedgerRow], pool_before: Sequence[dict], seed_texts: Sequence[str] = (),
                    seed_ids: set[str] = frozenset()) -> dict[str, Any]:
    """Tonight's figures from its ledger `rows`, the pool rows of earlier runs as it found
    them (`pool_before`: dicts with id and instruction) and the seed tasks."""
    kept = [r for r in rows if r.verdict == "kept"]
    known = verb_object_pairs([p["instruction"] for p in pool_before]) | verb_object_pairs(seed_texts)
    pool_ids = {p["id"] for p in pool_before}
    dups = [r for r in rows if DUPLICATE & set(r.reasons)]
    of_pool = sum(r.neighbour_id in pool_ids for r in dups)
    of_seeds = sum(r.neighbour_id in seed_ids for r in dups)
    return {
        "new_rows": len(kept),
        "pool_before": len(pool_before),
        "pool_after": len(pool_before) + len(kept),
        "new_pairs": len(verb_object_pairs(r.instruction for r in kept) - known),
        "dup_of_earlier_nights": of_pool,
        "dup_of_earlier_nights_share": round(of_pool / len(rows), 4) if rows else 0.0,
        "dup_of_seeds": of_seeds,
        "dup_within_run": len(dups) - of_pool - of_seeds,
    }


def nights(data_root: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The last `limit` runs that grew the pool, oldest first: run id, created, generated,
    and their novelty figures."""
    runs_dir = Path(data_root) / "runs"
    out = []
    for d in sorted(runs_dir.iterdir(), key=lambda p: p.name) if runs_dir.is_dir() else []:
        try:
            status = json.loads((d / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        cur = status.get("stages", {}).get("curate", {})
        if "novelty" in cur:
            out.append({"run_id": d.name, "created": status.get("created", ""),
                        "generated": cur.get("generated", 0), **cur["novelty"]})
    out.sort(key=lambda n: (n["created"], n["run_id"]))
    return out[-limit:]


def verdicts(history: Sequence[dict[str, Any]], window: int = 7) -> list[str]:
    """One word per night of `history` (oldest first): `nothing new` when it kept no new row,
    `fading` when it kept under half the median of the `window` nights before it, else `ok`."""
    out = []
    for i, night in enumerate(history):
        before = sorted(n["new_rows"] for n in history[max(0, i - window):i])
        median = before[len(before) // 2] if before else 0
        out.append("nothing new" if night["new_rows"] == 0 else "fading" if night["new_rows"] * 2 < median else "ok")
    return out


def novelty_table(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per night of `history` (newest first): what it added, how much it lost to
    earlier nights, and its verdict."""
    rows = [{"run": n["run_id"], "verdict": v, "generated": n.get("generated"), "new rows": n["new_rows"],
             "pool": n["pool_after"], "new verb-object pairs": n["new_pairs"],
             "dropped as earlier nights' duplicates": f"{n['dup_of_earlier_nights_share']:.0%}"}
            for n, v in zip(history, verdicts(history))]
    return rows[::-1]
