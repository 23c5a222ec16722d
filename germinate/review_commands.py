"""The review commands: `germinate review` (the page) and `germinate overrides` (list, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from core import overrides
from core.errors import GerminateError
from core.paths import data_root as resolve_root
from core.store import RunDir
from germinate.app import RootOpt, app, out
from reports.labels import export_labels

overrides_app = typer.Typer(no_args_is_help=True, help="A person's keep/drop decisions from the review page.")
app.add_typer(overrides_app, name="overrides")


def latest_curated(root: Path) -> RunDir:
    """The most recently created run that has a ledger."""
    runs_dir = Path(root) / "runs"
    found = [RunDir(root, p.name) for p in runs_dir.iterdir()
             if (p / "ledger.parquet").is_file() and (p / "status.json").is_file()] if runs_dir.is_dir() else []
    if not found:
        raise GerminateError(f"no curated run in {runs_dir}: run `germinate run` or `germinate curate --input FILE` first")
    return max(found, key=lambda r: (r.status.get("created", ""), r.run_id))


@app.command()
def review(run: Optional[str] = typer.Argument(None, help="A curated run id or directory (default: the latest)"),
           port: int = typer.Option(8765, min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)"),
           data_root: Optional[Path] = RootOpt) -> None:
    """A local page over a run's ledger: filter, search, try thresholds, keep or drop rows."""
    root = resolve_root(data_root)
    run_dir = latest_curated(root) if run is None else RunDir.open(root, run)
    if not run_dir.file("ledger.parquet").is_file():
        raise GerminateError(f"run {run_dir.run_id} has no ledger yet (curate it first)")
    overrides.load(run_dir.data_root)  # a damaged override file: one line now, not a broken page
    from germinate.review.server import serve

    serve(run_dir, port, lambda url: out.print(f"reviewing run {run_dir.run_id} at {url} (Ctrl-C stops)",
                                               soft_wrap=True, highlight=False))


@overrides_app.command("list")
def overrides_list(data_root: Optional[Path] = RootOpt) -> None:
    """Every decision: row, keep or drop, note, the run it was made on, when."""
    root = resolve_root(data_root)
    decisions = overrides.load(root)
    if not decisions:
        out.print(f"no overrides in {overrides.overrides_path(root)}")
        return
    table = Table(title=f"{len(decisions)} overrides in {overrides.overrides_path(root)}")
    for col in ("row", "decision", "note", "run", "time"):
        table.add_column(col, overflow="fold")
    for o in decisions.values():
        table.add_row(o.id, o.decision, o.note, o.run_id, o.time)
    out.print(table)


@overrides_app.command("export")
def overrides_export(path: Path = typer.Argument(..., help="The labeled-set JSONL file to write"),
                     run: Optional[str] = typer.Option(None, "--run", help="Only decisions made on this run"),
                     data_root: Optional[Path] = RootOpt) -> None:
    """Write the decisions as labeled rows (keep = good, drop = bad) for the quality benchmark."""
    root = resolve_root(data_root)
    decisions = [o for o in overrides.load(root).values() if run is None or o.run_id == run]
    if not decisions:
        raise GerminateError(f"no overrides{f' made on run {run}' if run else ''} in {overrides.overrides_path(root)}")
    n = export_labels(decisions, path)
    good = sum(o.decision == "keep" for o in decisions)
    out.print(f"{n} labeled rows ({good} good, {n - good} bad) written to {path}", soft_wrap=True, highlight=False)
