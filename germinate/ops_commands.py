"""The operations commands: inspect, refilter, runs, models, the teacher's server, schedule, server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from core.config import parse_override
from core.errors import GerminateError
from core.models import EMBEDDED, prepare
from core.paths import data_root as resolve_root
from core.store import RunDir
from generators.serve import stop, vllm_servers
from germinate.app import (ConfigOpt, RootOpt, SetOpt, VerboseOpt, app, model_app, out, read_config, server_app, start,
                           teacher_app)
from reports.console import diff_runs, export_dropped, inspect_run, print_eval, print_summary
from reports.run_list import list_runs


@app.command()
def inspect(run: Optional[str] = typer.Argument(None, help="A run id or directory"),
            reason: Optional[str] = typer.Option(None, help="Only drops with this reason"),
            limit: int = typer.Option(5, help="Samples to show per reason"),
            diff: Optional[list[str]] = typer.Option(None, "--diff", help="--diff RUN_A --diff RUN_B"),
            export: Optional[Path] = typer.Option(None, "--export", help="Write RUN's dropped rows to this JSONL"),
            eval_: bool = typer.Option(False, "--eval", help="RUN's evaluation: every metric with its interval"),
            data_root: Optional[Path] = RootOpt) -> None:
    """Counts and samples per reason; --reason near_duplicate shows neighbours and scores."""

    root = resolve_root(data_root)
    if diff:
        if len(diff) != 2 or run is not None:
            raise GerminateError("--diff takes exactly two runs: --diff RUN_A --diff RUN_B")
        diff_runs(out, RunDir.open(root, diff[0]), RunDir.open(root, diff[1]))
        return
    if run is None:
        raise GerminateError("give a RUN to inspect (or --diff RUN_A --diff RUN_B)")
    run_dir = RunDir.open(root, run)
    if export is not None:
        if not run_dir.file("ledger.parquet").exists():
            raise GerminateError(f"run {run_dir.run_id} has no ledger yet (curate it first)")
        out.print(f"{export_dropped(run_dir, export)} dropped rows written to {export}")
        return
    if eval_:
        if not run_dir.file("eval.json").exists():
            raise GerminateError(f"run {run_dir.run_id} has not been evaluated (no eval.json)")
        print_eval(out, json.loads(run_dir.file("eval.json").read_text(encoding="utf-8")))
        return
    inspect_run(out, run_dir, reason, limit)


@app.command()
def refilter(run: str = typer.Argument(..., help="A curated run id or directory"),
             set_: list[str] = typer.Option([], "--set", help="A curate setting, e.g. near_duplicate.threshold=0.8 "
                                            "or curate.quality.ifd.max_ifd=0.9"),
             data_root: Optional[Path] = RootOpt) -> None:
    """Re-apply the filters to a run's stored candidates and scores with other settings; no model call."""
    from flows.refilter import refilter as refilter_run

    root = resolve_root(data_root)
    run_dir = RunDir.open(root, run)
    if not run_dir.file("candidates.jsonl").exists():
        raise GerminateError(f"run {run_dir.run_id} has no candidates.jsonl")
    new, _ = refilter_run(run_dir, [parse_override(s) for s in set_])
    print_summary(out, new)


@app.command()
def runs(data_root: Optional[Path] = RootOpt,
         as_json: bool = typer.Option(False, "--json", help="Print the runs as a JSON array")) -> None:
    """List runs: date, kind, status, counts, score, promotion (run ids never cut short)."""

    list_runs(out, resolve_root(data_root), as_json)


@model_app.command("prepare")
def model_prepare(which: str = typer.Argument("all", help="teacher | student | all"),
                  verbose: bool = VerboseOpt) -> None:
    """Convert the embedded model(s) from GGUF to HF safetensors in the cache (done lazily too)."""

    start(None, verbose)
    keys = {"teacher": ["smollm2-135m-instruct"], "student": ["gemma-3-270m"], "all": list(EMBEDDED)}.get(which)
    if keys is None:
        raise GerminateError(f"unknown model set '{which}' (teacher | student | all)")
    for key in keys:
        out.print(f"{key}: {prepare(key)}")


@teacher_app.command("serve")
def teacher_serve(config: Optional[Path] = ConfigOpt, set_: list[str] = SetOpt,
                  host: str = typer.Option("127.0.0.1", help="Bind address (loopback by default)"),
                  port: int = typer.Option(8000),
                  replicas: int = typer.Option(1, min=1, max=64,
                                               help="Servers on ports PORT, PORT+1, ...: endpoints for sharding"),
                                               verbose: bool = VerboseOpt) -> None:
    """Start vLLM's OpenAI-compatible server for the configured teacher; Ctrl-C stops it."""
    import time


    start(None, verbose)
    cfg = read_config(config, set_)
    with vllm_servers(cfg.generate.teacher, replicas, host=host,
                      ports=list(range(port, port + replicas))) as urls:
        out.print(f"teacher serving {cfg.generate.teacher.model} at {', '.join(urls)}")
        if len(urls) == 1:
            out.print(f"use it with: --set generate.teacher.backend=openai --set generate.teacher.base_url={urls[0]}")
        else:
            out.print("use them with: --set generate.teacher.backend=openai "
                      f"--set 'generate.teacher.endpoints=[{', '.join(urls)}]'")
        while True:
            time.sleep(3600)


@app.command()
def schedule(config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt, set_: list[str] = SetOpt,
             cron: Optional[str] = typer.Option(None, help="Cron expression (default from config: 0 2 * * *)"),
             timezone: Optional[str] = typer.Option(None, help="IANA time zone, e.g. Asia/Seoul"),
             verbose: bool = VerboseOpt) -> None:
    """Serve the nightly `pipeline` deployment on its cron schedule (Ctrl-C stops)."""
    root = start(data_root, verbose)
    from flows.prepare import preflight
    from flows.schedule import serve_nightly

    extra = [("schedule.cron", cron)] if cron else []
    extra += [("schedule.timezone", timezone)] if timezone else []
    cfg = read_config(config, set_, extra)
    preflight(cfg, root=root)
    out.print(f"serving pipeline/nightly: '{cfg.schedule.cron}' in {cfg.schedule.timezone}, data root {root}")
    serve_nightly(cfg, root)


@server_app.command("start")
def server_start(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(4200),
                 data_root: Optional[Path] = RootOpt, verbose: bool = VerboseOpt) -> None:
    """Start a Prefect API server (SQLite in the data root; Postgres via env) until Ctrl-C."""
    import time

    from flows.schedule import api_url, database_note, start_server

    start(data_root, verbose)
    proc = start_server(host, port)
    try:
        out.print(f"Prefect API at {api_url(host, port)} ({database_note()})")
        out.print(f"point germinate at it: export PREFECT_API_URL={api_url(host, port)}")
        while proc.poll() is None:
            time.sleep(1)
    finally:
        stop(proc)
