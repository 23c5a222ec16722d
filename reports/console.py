"""Terminal views of a run: the end-of-run summary table and `germinate inspect`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

import json
from pathlib import Path

from core.errors import GerminateError
from core.records import LedgerRow
from core.store import RunDir, atomic_write_jsonl
from filters.quality import QUALITY_REASONS, rules_for
from reports.novelty import nights, verdicts
from evals.metrics import label
from reports import eval_view
from reports.outputs import read_ledger


# Reasons the end-of-run table lists: the most frequent, in pipeline order; `inspect RUN` lists
# every one. A default night of the embedded teacher drops for 16 reasons, and the table alone
# was then half of what `make run` leaves on the terminal.
SUMMARY_REASONS = 5


def print_summary(console: Console, run: RunDir) -> None:
    """generated / kept / dropped with the main reasons, then where the run lives."""
    stage = run.status.get("stages", {}).get("curate")
    if not stage:
        raise GerminateError(f"run {run.run_id} has not been curated yet")
    # No title: the run directory line below names the run (one line fewer on the terminal).
    table = Table()
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("generated", str(stage["generated"]))
    table.add_row("kept", str(stage["kept"]), style="green")
    table.add_row("dropped", str(stage["dropped"]), style="red")
    drops = stage["drops_by_reason"]
    shown = {k for k, _ in sorted(drops.items(), key=lambda kv: -kv[1])[:SUMMARY_REASONS]}
    for reason, n in drops.items():
        if reason in shown:
            table.add_row(f"  {reason}", str(n))
    if len(drops) > len(shown):
        table.add_row(f"  {len(drops) - len(shown)} more reasons: germinate inspect {run.run_id}", "")
    console.print(table)
    console.print(yield_line(run.status))
    if run.status.get("note"):  # e.g. "training skipped: 0 of 8 candidates passed; top reasons: ..."
        console.print(run.status["note"], markup=False, highlight=False, soft_wrap=True)
    console.print(f"run directory: {run.path}")


def yield_line(status: dict) -> str:
    """kept / generated, the top drop reasons and, for a generated run, whether its rounds
    reached the target: a weak teacher shows here at a glance."""
    stages = status.get("stages", {})
    cur, gen = stages.get("curate", {}), stages.get("generate", {})
    generated, kept = cur.get("generated", 0), cur.get("kept", 0)
    top = sorted(cur.get("drops_by_reason", {}).items(), key=lambda kv: -kv[1])[:3]
    line = f"kept {kept} of {generated} generated ({kept / generated:.0%})" if generated else "nothing generated"
    if top:
        line += "; top drops: " + ", ".join(f"{k} {v} ({v / generated:.0%})" for k, v in top)
    if "rounds" in gen:
        rounds = len(gen["rounds"])
        line += f"; {rounds} round{'s' * (rounds != 1)}, target {gen['target']} " + \
            ("reached" if gen["reached"] else "NOT reached: the teacher's yield is low, raise generate.max_rounds "
             "or use a stronger teacher")
    novelty = cur.get("novelty")
    if novelty:
        line += (f"\npool {novelty['pool_before']} -> {novelty['pool_after']}, {novelty['new_pairs']} new verb-object "
                 f"pairs, {novelty['dup_of_earlier_nights_share']:.0%} dropped as duplicates of earlier nights")
    return line


def _short(text: str | None, n: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def deciding_scores(row: LedgerRow, reason: str) -> str:
    """The scores behind a quality reason, e.g. `korean.score.instruction=-7.41`."""
    keys = dict.fromkeys(k for rule in rules_for(reason) for k in rule.keys if k in row.scores)
    return ", ".join(f"{k}={row.scores[k]:.3g}" for k in keys)


def inspect_run(console: Console, run: RunDir, reason: str | None, limit: int) -> None:
    ledger = run.file("ledger.parquet")
    if not ledger.exists():
        raise GerminateError(f"run {run.run_id} has no ledger yet (curate it first)")
    rows = read_ledger(ledger)
    counts: dict[str, int] = {}
    for r in rows:
        for why in r.reasons or (["kept"] if r.verdict == "kept" else []):
            counts[why] = counts.get(why, 0) + 1
    if reason is not None and reason not in counts:
        known = ", ".join(sorted(counts)) or "none"
        raise GerminateError(f"no rows with reason '{reason}' in run {run.run_id} (present: {known})")
    summary = Table(title=f"run {run.run_id}: {len(rows)} candidates")
    summary.add_column("verdict / reason")
    summary.add_column("count", justify="right")
    for why, n in counts.items():
        summary.add_row(why, str(n))
    console.print(summary)
    for why in [reason] if reason else counts:
        picked = [r for r in rows if why in r.reasons or (why == "kept" and r.verdict == "kept")]
        table = Table(title=f"{why}: {min(limit, len(picked))} of {len(picked)}", show_lines=True)
        # The texts flex (ratio) and may break inside a word; the deciding scores, one per line,
        # are never cut, on an 80-column terminal or a pipe: they are the point of this view.
        table.add_column("id", no_wrap=True)
        table.add_column("instruction", ratio=1, overflow="fold")
        table.add_column("output / raw", ratio=1, overflow="fold")
        if why in ("near_duplicate", "exact_duplicate"):
            table.add_column("score", justify="right", no_wrap=True)
            table.add_column("nearest neighbour", ratio=1, overflow="fold")
        elif why in QUALITY_REASONS:
            table.add_column("score", no_wrap=True)
        for r in picked[:limit]:
            cells = [r.id, _short(r.instruction), _short(r.output or r.raw)]
            if why in ("near_duplicate", "exact_duplicate"):
                cells += [f"{r.similarity:.3f}" if r.similarity is not None else "",
                          f"{r.neighbour_id}: {_short(r.neighbour_text, 80)}"]
            elif why in QUALITY_REASONS:
                note = r.meta.get("rating_rationale")
                if why == "low_rating" and note:  # the rater's words sit with the text they judge
                    cells[2] += f"\n(rater: {_short(note, 80)})"
                cells.append(deciding_scores(r, why).replace(", ", "\n"))
            table.add_row(*cells)
        console.print(table)


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


# The deltas the end of a run shows (the primary metric leads): what the gate weighs.
BRIEF_METRICS = ("constraint_accuracy", "heldout_loss")


def print_eval_brief(console: Console, result: dict, run_id: str) -> None:
    """The end of `germinate run`: per opponent one line of the deciding deltas with their
    paired intervals, the judge, the decision, and where the whole table is."""
    subject = result.get("subject") or "candidate"
    primary = result.get("primary_metric", "rouge_l")
    keys = [primary] + [k for k in BRIEF_METRICS if k != primary]
    console.print(eval_view.title(result), markup=False, highlight=False, soft_wrap=True)
    rows = {row["metric"]: row for row in eval_view.metric_rows(result)}
    for opp in eval_view.opponents(result):
        parts = [f"{label(k)} {rows[k][f'vs_{opp}']['text']}" for k in keys
                 if k in rows and rows[k][f"vs_{opp}"]["delta"] is not None]
        console.print(f"{subject} vs {opp}, improvement with its interval: " + ("; ".join(parts) or "n/a"),
                      markup=False, highlight=False, soft_wrap=True)
    judge = result.get("judge")
    if isinstance(judge, dict) and judge.get("enabled") is False:
        console.print("judge: off (set evaluate.judge.model to have a judge)", markup=False, highlight=False)
    else:
        for line in eval_view.judge_lines(result):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    for line in eval_view.notes(result):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    _print_decision(console, result)
    console.print(f"every metric with its interval: germinate inspect {run_id} --eval", highlight=False)


def _print_decision(console: Console, result: dict) -> None:
    if "decision" in result:
        d = result["decision"]
        verdict = "[green]PROMOTED[/green]" if d["promote"] else "[yellow]not promoted[/yellow]"
        console.print(f"{verdict}: ", end="")
        console.print(d["reason"], markup=False, highlight=False, soft_wrap=True)


def print_eval(console: Console, result: dict) -> None:
    """Each model's metrics with their intervals, the subject's deltas vs base and champion with
    paired intervals, the judge's counts, notes (a champion that could not be loaded), and the
    decision with its reason."""
    names, opps = eval_view.models(result), eval_view.opponents(result)
    subject = result.get("subject") or "candidate"
    table = Table(title=eval_view.title(result))
    table.add_column("metric")
    for n in names:
        table.add_column(n, justify="right")
    for opp in opps:
        table.add_column(f"{subject} vs {opp}", justify="right")
    for row in eval_view.metric_rows(result):
        table.add_row(row["label"], *[row[n]["text"] for n in names], *[row[f"vs_{o}"]["text"] for o in opps])
    console.print(table)
    for line in eval_view.judge_lines(result) + eval_view.notes(result):
        console.print(line, markup=False)
    _print_decision(console, result)


def diff_runs(console: Console, a: RunDir, b: RunDir) -> None:
    """Counts and drop reasons of two runs side by side."""
    stages = [r.status.get("stages", {}).get("curate") for r in (a, b)]
    for run, stage in zip((a, b), stages):
        if not stage:
            raise GerminateError(f"run {run.run_id} has not been curated yet")
    table = Table(title=f"{a.run_id} vs {b.run_id}")
    table.add_column("")
    table.add_column(a.run_id, justify="right")
    table.add_column(b.run_id, justify="right")
    table.add_column("delta", justify="right")
    keys = ["generated", "kept", "dropped"]
    reasons = list(dict.fromkeys([*stages[0]["drops_by_reason"], *stages[1]["drops_by_reason"]]))
    for key in keys + reasons:
        x, y = [s.get(key, s["drops_by_reason"].get(key, 0)) for s in stages]
        table.add_row(key if key in keys else f"  {key}", str(x), str(y), f"{y - x:+d}")
    console.print(table)


def export_dropped(run: RunDir, path) -> int:
    """Write the dropped rows (with reasons, score, neighbour) to a JSONL file."""
    rows = [r.model_dump() for r in read_ledger(run.file("ledger.parquet")) if r.verdict == "dropped"]
    atomic_write_jsonl(path, rows)
    return len(rows)
