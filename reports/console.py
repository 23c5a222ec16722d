"""Terminal views of a run: the end-of-run summary table and `germinate inspect`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from core.errors import GerminateError
from core.store import RunDir, atomic_write_jsonl
from reports.outputs import read_ledger


def print_summary(console: Console, run: RunDir) -> None:
    """generated / kept / dropped per reason, then where the run lives."""
    stage = run.status.get("stages", {}).get("curate")
    if not stage:
        raise GerminateError(f"run {run.run_id} has not been curated yet")
    table = Table(title=f"run {run.run_id}")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("generated", str(stage["generated"]))
    table.add_row("kept", str(stage["kept"]), style="green")
    table.add_row("dropped", str(stage["dropped"]), style="red")
    for reason, n in stage["drops_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    console.print(table)
    console.print(f"run directory: {run.path}")


def _short(text: str | None, n: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


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
        table.add_column("id")
        table.add_column("instruction")
        table.add_column("output / raw")
        if why in ("near_duplicate", "exact_duplicate"):
            table.add_column("score", justify="right")
            table.add_column("nearest neighbour")
        for r in picked[:limit]:
            cells = [r.id, _short(r.instruction), _short(r.output or r.raw)]
            if why in ("near_duplicate", "exact_duplicate"):
                cells += [f"{r.similarity:.3f}" if r.similarity is not None else "",
                          f"{r.neighbour_id}: {_short(r.neighbour_text, 80)}"]
            table.add_row(*cells)
        console.print(table)


METRICS = [("rouge_l", "ROUGE-L"), ("constraint_accuracy", "constraint accuracy"),
           ("eos_rate", "ends with EOS"), ("heldout_loss", "held-out loss (lower is better)"),
           ("mean_answer_tokens", "answer tokens"), ("judge_win_rate", "judge win rate")]


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def print_eval(console: Console, result: dict) -> None:
    """base / champion / candidate per metric, the delta, and the promotion decision."""
    scores = result["scores"]
    names = [n for n in ("base", "champion", "candidate") if n in scores]
    ref = "champion" if "champion" in scores else "base"
    table = Table(title=f"held-out eval: {result['items']} items from {result['eval_set']}")
    table.add_column("metric")
    for n in names:
        table.add_column(n, justify="right")
    if "candidate" in scores:
        table.add_column(f"delta vs {ref}", justify="right")
    for key, label in METRICS:
        if not any(key in scores[n] for n in names):
            continue
        row = [label] + [_fmt(scores[n].get(key)) for n in names]
        if "candidate" in scores:
            a, b = scores["candidate"].get(key), scores[ref].get(key)
            delta = _fmt(a - b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "n/a"
            if key == "judge_win_rate" and "judge" in result:
                j = result["judge"]
                delta += f" (95% CI {_fmt(j.get('ci_low'))}..{_fmt(j.get('ci_high'))})"
            row.append(delta)
        table.add_row(*row)
    console.print(table)
    if result.get("note"):
        console.print(result["note"])
    if "decision" in result:
        d = result["decision"]
        verdict = "[green]PROMOTED[/green]" if d["promote"] else "[yellow]not promoted[/yellow]"
        console.print(f"{verdict}: {d['reason']}")


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
