"""Prefect artifacts of a run, under stable keys so the UI versions them night over night.

- `germinate-drops`: drop counts per reason (table)
- `germinate-drop-samples`: a few dropped rows per reason (table)
- `germinate-eval`: base / champion / candidate per metric with intervals, deltas vs base and
  champion with paired intervals, the judge's counts and the decision's reason (table)
- `germinate-summary`: a markdown summary linking the run directory and its report
- `germinate-novelty`: tonight's novelty figures beside the nights before (table)
"""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pathlib import Path
from typing import Any

from core.records import LedgerRow
from core.store import RunDir
from reports.novelty import nights, novelty_table
from reports import eval_view

KEYS = ("germinate-drops", "germinate-drop-samples", "germinate-eval", "germinate-summary", "germinate-novelty")


def drop_tables(rows: list[LedgerRow], samples_per_reason: int = 3) -> tuple[list[dict], list[dict]]:
    """(counts per reason incl. kept, samples per reason): plain rows, testable without Prefect."""
    counts: dict[str, int] = {"kept": sum(r.verdict == "kept" for r in rows)}
    samples: list[dict] = []
    for r in rows:
        for reason in r.reasons:
            counts[reason] = counts.get(reason, 0) + 1
            if sum(s["reason"] == reason for s in samples) < samples_per_reason:
                samples.append({"reason": reason, "id": r.id, "instruction": r.instruction[:200],
                                "output": (r.output or r.raw or "")[:200],
                                "similarity": r.similarity, "neighbour": (r.neighbour_text or "")[:120]})
    return [{"reason": k, "count": v} for k, v in counts.items()], samples


def publish_curation(run: RunDir, rows: list[LedgerRow]) -> None:
    counts, samples = drop_tables(rows)
    create_table_artifact(counts, key="germinate-drops", description=f"run {run.run_id}: verdicts and drop reasons")
    create_table_artifact(samples or [{"reason": "none dropped"}], key="germinate-drop-samples",
                          description=f"run {run.run_id}: samples per drop reason")


def publish_novelty(data_root: Path, run_id: str, figures: dict[str, Any], generated: int) -> None:
    history = [n for n in nights(data_root) if n["run_id"] != run_id]
    history.append({"run_id": run_id, "generated": generated, **figures})
    table = novelty_table(history)
    create_table_artifact(table, key="germinate-novelty",
                          description=f"run {run_id}: {table[0]['new rows']} new rows, {table[0]['verdict']}")


def publish_eval(run_id: str, result: dict) -> None:
    decision = result.get("decision", {})
    create_table_artifact(eval_view.artifact_rows(result), key="germinate-eval",
                          description=f"run {run_id}: {decision.get('reason', 'no decision')}")


def publish_summary(run: RunDir) -> None:
    status = run.status
    cur = status.get("stages", {}).get("curate", {})
    lines = [f"# germinate run {run.run_id}", "",
             f"- status: **{status.get('status')}**",
             f"- generated {cur.get('generated', 'n/a')}, kept {cur.get('kept', 'n/a')}, "
             f"dropped {cur.get('dropped', 'n/a')}",
             f"- run directory: [{run.path}](file://{run.path})"]
    if status.get("note"):
        lines.insert(3, f"- {status['note']}")
    if run.file("report.html").exists():
        lines.append(f"- report: [report.html](file://{run.file('report.html')})")
    ev = status.get("stages", {}).get("evaluate")
    if ev:
        lines.append(f"- promoted: **{ev.get('promote')}**")
    create_markdown_artifact("\n".join(lines) + "\n", key="germinate-summary",
                             description=f"run {run.run_id}")
