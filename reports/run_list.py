"""`germinate runs`: every run in the data root, as a table that never cuts a run id, or as JSON.

A run id is what a person copies into the next command, so its column never truncates: it is
as wide as the longest id, and when the terminal is too narrow for every column the least
needed ones are left out (blank ones, then created: most run ids carry their date), and only an
id wider than the terminal itself folds onto a second line.
`--json` prints the same rows, complete, as one JSON array. Under the table, a warning for
each of the last week's nights that found nothing new or fading novelty (`reports.novelty`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reports.novelty import nights, verdicts

# (header, the cell from a row); in the order shown.
COLUMNS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("run", lambda r: r["run_id"]),
    ("created", lambda r: r["created"][:16].replace("T", " ")),
    ("kind", lambda r: r["kind"]),
    ("status", lambda r: run_state(r)),
    ("generated", lambda r: "" if r["generated"] is None else str(r["generated"])),
    ("kept", lambda r: "" if r["kept"] is None else str(r["kept"])),
    ("pool", lambda r: "" if r["novelty"] is None else f"{r['novelty']['pool_after']} (+{r['novelty']['new_rows']})"),
    ("new pairs", lambda r: "" if r["novelty"] is None else str(r["novelty"]["new_pairs"])),
    ("dup earlier", lambda r: "" if r["novelty"] is None else f"{r['novelty']['dup_of_earlier_nights_share']:.0%}"),
    ("novelty", lambda r: r["novelty_word"] or ""),
    ("score", lambda r: "" if r["score"] is None else f"{r['primary_metric']}={r['score']:.3f}"),
    ("promoted", lambda r: "" if r["promoted"] is None else ("yes" if r["promoted"] else "no")),
    ("note", lambda r: r["note"] or ""),
]
# Left out, in this order, while the table is wider than the terminal.
DROP_ORDER = ("created", "new pairs", "dup earlier", "pool", "note", "score", "promoted", "kind", "novelty",
              "generated", "kept", "status")
NUMERIC = {"generated", "kept", "pool", "new pairs", "dup earlier", "score"}


def run_state(row: dict[str, Any]) -> str:
    """"completed", "running", or "interrupted in tune" / "failed in generate" for a run
    that stopped (`germinate resume` continues it)."""
    state, stage = row.get("status", ""), row.get("stage")
    return f"{state} in {stage}" if state in ("interrupted", "failed") and stage else state


def _json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_rows(data_root: Path) -> list[dict[str, Any]]:
    """One plain dict per run directory with a status file, in run id order."""
    runs_dir = Path(data_root) / "runs"
    dirs = sorted(p for p in runs_dir.iterdir() if (p / "status.json").is_file()) if runs_dir.is_dir() else []
    history = nights(data_root, limit=len(dirs) or 1)
    words = dict(zip([n["run_id"] for n in history], verdicts(history)))
    rows = []
    for d in dirs:
        status = _json(d / "status.json") or {}
        cur = status.get("stages", {}).get("curate", {})
        ev = _json(d / "eval.json") if (d / "eval.json").is_file() else None
        metric = ev.get("primary_metric", "rouge_l") if ev else None
        score = ev.get("scores", {}).get("candidate", {}).get(metric) if ev else None
        rows.append({
            "run_id": d.name, "created": status.get("created", ""), "kind": status.get("kind", ""),
            "status": status.get("status", "unreadable status.json" if not status else ""),
            "stage": status.get("stage"), "note": status.get("note") or status.get("error"),
            "novelty": cur.get("novelty"), "novelty_word": words.get(d.name),
            "generated": cur.get("generated"), "kept": cur.get("kept"), "dropped": cur.get("dropped"),
            "drops_by_reason": cur.get("drops_by_reason", {}), "primary_metric": metric,
            "score": score if isinstance(score, (int, float)) else None,
            "promoted": ev.get("decision", {}).get("promote") if ev else None,
            "path": str(d),
        })
    return rows


def _width(header: str, cells: list[str]) -> int:
    return max([len(header), *map(len, cells)]) + 3  # one space each side and a rule


def runs_table(rows: list[dict[str, Any]], width: int, title: str) -> Table:
    """The table for a terminal `width` columns wide; run ids whole, whatever the width."""
    cells = {name: [cell(r) for r in rows] for name, cell in COLUMNS}
    shown = [name for name, _ in COLUMNS]
    empty_first = sorted(DROP_ORDER, key=lambda n: any(cells[n]))  # a column of blanks goes first
    for name in empty_first:
        if 1 + sum(_width(n, cells[n]) for n in shown) <= width:
            break
        shown.remove(name)
    table = Table(title=title)
    for name in shown:
        if name == "run":
            # As wide as the longest id; only an id wider than the terminal itself folds.
            table.add_column(name, overflow="fold", min_width=min(max(map(len, cells[name]), default=3), width - 4))
        else:
            table.add_column(name, justify="right" if name in NUMERIC else "left", overflow="fold")
    for i in range(len(rows)):
        table.add_row(*[cells[name][i] for name in shown])
    return table


def list_runs(console: Console, data_root: Path, as_json: bool = False) -> None:
    """Print every run: a table sized to the console, or JSON rows."""
    rows = run_rows(data_root)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    runs_dir = Path(data_root) / "runs"
    if not rows:
        console.print(f"no runs in {runs_dir}")
        return
    console.print(runs_table(rows, console.width, f"runs in {runs_dir}"))
    history = nights(data_root, limit=len(rows))
    for n, word in list(zip(history, verdicts(history)))[-7:]:  # the last week's warnings
        if word != "ok":
            console.print(f"[red]{escape(n['run_id'])}: {word}[/red] ({n['new_rows']} new rows; "
                          f"{n['dup_of_earlier_nights_share']:.0%} of its rows repeated earlier nights)")
