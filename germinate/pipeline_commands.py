"""The commands that run flows: run, resume, generate, curate, tune, eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from core import console_logging, overrides
from core.config import parse_override
from core.errors import GerminateError
from core.inputs import FORMATS, read_candidates
from core.models import resolve_model
from core.records import load_tasks
from core.store import RunDir, atomic_write_jsonl, new_run_id
from germinate.app import ConfigOpt, RootOpt, SetOpt, VerboseOpt, app, failing, out, read_config, start
from reports.console import print_eval, print_eval_brief, print_summary


@app.command()
def run(config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
        set_: list[str] = SetOpt, run_id: Optional[str] = typer.Option(None, help="Name the run"),
        verbose: bool = VerboseOpt) -> None:
    """Run the whole pipeline (generate -> curate -> tune -> evaluate) into a new run directory."""
    root = start(data_root, verbose)
    from flows.prepare import create_run, preflight, recorded_config

    cfg = read_config(config, set_)
    with console_logging.stage("check inputs, load the teacher"):
        preflight(cfg, root=root)
    run_dir = create_run(root, cfg, "pipeline", run_id)
    _run_pipeline(recorded_config(run_dir), root, run_dir)


def _run_pipeline(cfg, root: Path, run_dir: RunDir, resuming: bool = False) -> None:
    from flows.pipeline import pipeline_flow

    with failing(run_dir):
        if resuming:  # under the lock: a run still running elsewhere is left as it is
            run_dir.resumed()
        pipeline_flow(cfg, str(root), run_dir.run_id)
    print_summary(out, run_dir)
    if run_dir.file("eval.json").exists():
        print_eval_brief(out, json.loads(run_dir.file("eval.json").read_text(encoding="utf-8")), run_dir.run_id)
    _say_log()


def _say_log() -> None:
    """Where the libraries' output went, when it did not come here."""
    if console_logging.log_path() is not None:
        out.print(f"engine and library output: {console_logging.log_path()}", soft_wrap=True, highlight=False)


@app.command()
def resume(run: str = typer.Argument(..., help="A run id or directory"),
           data_root: Optional[Path] = RootOpt, verbose: bool = VerboseOpt) -> None:
    """Finish an interrupted run: finished requests and stages are not redone."""
    root = start(data_root, verbose)
    from flows.prepare import preflight

    run_dir = RunDir.open(root, run)
    kind = run_dir.status.get("kind")
    if kind not in ("pipeline", "generate"):
        raise GerminateError(f"run {run_dir.run_id} is a '{kind}' run; only pipeline and generate runs resume")
    cfg = read_config(run_dir.file("config.yaml"), [])
    if kind == "generate":
        # A standalone night (`germinate generate`, bench/nights.py): its rounds resume from the
        # checkpoint with the recorded run seed, as a pipeline run's generation does.
        if run_dir.stage_done("generate"):
            if run_dir.status.get("status") != "generated":
                # Stopped after its candidates were written but before its status said so:
                # nothing is left to generate, only the status to set right.
                with failing(run_dir):
                    run_dir.resumed()
                    run_dir.update_status(status="generated")
            out.print(f"run {run_dir.run_id} has finished generating; curate it with: germinate curate {run_dir.run_id}")
            return
        with console_logging.stage("check inputs, load the teacher"):
            preflight(cfg, evaluation=False, root=run_dir.data_root)
        _run_generate(cfg, run_dir.data_root, run_dir, resuming=True)
        return
    # Loading the in-process engine costs 20-30 s: skip it when no stage left needs it (the
    # judge does; it is then loaded before training, the order a fresh run uses).
    done = run_dir.stage_done
    judge_is_teacher = cfg.evaluate.judge.resolve(cfg.generate.teacher) == cfg.generate.teacher
    with console_logging.stage("check inputs, load the teacher"):
        preflight(cfg, teacher=not done("generate") or (judge_is_teacher and not done("evaluate")),
                  root=run_dir.data_root)
    _run_pipeline(cfg, run_dir.data_root, run_dir, resuming=True)


@app.command()
def tune(run: str = typer.Argument(..., help="A curated run id or directory"),
         config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
         set_: list[str] = SetOpt, verbose: bool = VerboseOpt) -> None:
    """LoRA-tune the student on the curated data; the adapter goes to RUN/adapter."""
    root = start(data_root, verbose)
    from flows.preflight_checks import model_config
    from flows.tune import adapter_changes, data_for_kind, tune_flow

    run_dir = RunDir.open(root, run)
    cfg = read_config(config or run_dir.file("config.yaml"), set_)
    model_config(cfg.tune.student, "tune.student")
    # A snapshot records every key: only --set or the user's own config file "tells" the data.
    told = any(parse_override(s)[0] == "tune.data" for s in set_) or (config is not None and
                                                                     "data" in cfg.tune.model_fields_set)
    kind = run_dir.status.get("kind")
    tune_cfg = data_for_kind(cfg.tune, kind, told)
    if tune_cfg.data != cfg.tune.data:
        out.print(f"tune: run {run_dir.run_id} is a '{kind}' run: training on its own data.jsonl, not the pool "
                  "(--set tune.data=pool for the pool)", soft_wrap=True, highlight=False)
    changes = adapter_changes(run_dir, tune_cfg) if run_dir.stage_done("tune") else []
    if changes:
        out.print(f"tune: retraining, the adapter was trained with other settings ({'; '.join(changes)})",
                  soft_wrap=True, highlight=False)
    if not run_dir.stage_done("curate"):
        raise GerminateError(f"run {run_dir.run_id} is not curated yet: run `germinate curate {run_dir.run_id}`")
    if run_dir.status["stages"]["curate"]["kept"] == 0 and cfg.tune.skip_when_nothing_kept:
        raise GerminateError(f"run {run_dir.run_id} kept no examples, nothing new to tune on "
                             "(--set tune.skip_when_nothing_kept=false trains on the pool and seeds anyway)")
    with failing(run_dir), console_logging.stage("tune"):
        adapter = tune_flow(tune_cfg, str(run_dir.data_root), run_dir.run_id, seeds=str(cfg.generate.seeds),
                            eval_set=str(cfg.evaluate.eval_set), curate=cfg.curate)
    out.print(f"adapter: {adapter}")
    _say_log()


@app.command("eval")
def eval_(eval_set: Optional[Path] = typer.Option(None, "--eval-set", help="Self-Instruct JSONL eval tasks"),
          model: Optional[str] = typer.Option(None, "--model", help="Student base model (default: config)"),
          adapter: Optional[Path] = typer.Option(None, "--adapter", help="LoRA adapter to evaluate"),
          config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
          set_: list[str] = SetOpt, verbose: bool = VerboseOpt) -> None:
    """Base vs champion (vs --adapter) on a held-out set: every metric with its CI, deltas with paired CIs,
    the judge's counts. Records no decision (only answers, in the answer cache)."""
    root = start(data_root, verbose)
    from evals.answers import check_adapter
    from flows.evaluate import evaluate_flow
    from flows.evaluate_checks import check_evaluation, print_warnings

    extra = [("evaluate.eval_set", str(eval_set))] if eval_set else []
    extra += [("tune.student", model)] if model else []
    cfg = read_config(config, set_, extra)
    warnings = check_evaluation(cfg, seeds=False)  # a bad eval file or judge fails here, before any model loads
    if adapter is not None:
        # Before any flow starts: a wrong adapter is bad input, reported in one line.
        check_adapter(adapter, resolve_model(cfg.tune.student))
    print_warnings(warnings)
    with console_logging.stage("evaluate"):
        result = evaluate_flow(cfg.evaluate, cfg.tune.student, cfg.generate.teacher, str(root),
                               candidate=str(adapter) if adapter else None, record=False)
    print_eval(out, result)
    _say_log()


@app.command()
def generate(config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
             seeds: Optional[Path] = typer.Option(None, help="Self-Instruct JSONL seed tasks"),
             n: Optional[int] = typer.Option(None, "--n", help="Rows to keep (generate.num_instructions)"),
             set_: list[str] = SetOpt, verbose: bool = VerboseOpt) -> None:
    """Generate candidates only (curate them later with `germinate curate RUN`)."""
    root = start(data_root, verbose)
    from flows.prepare import create_run, preflight, recorded_config

    extra = [("generate.seeds", str(seeds))] if seeds else []
    extra += [("generate.num_instructions", n)] if n is not None else []
    cfg = read_config(config, set_, extra)
    with console_logging.stage("check inputs, load the teacher"):
        preflight(cfg, evaluation=False, root=root)
    run_dir = create_run(root, cfg, "generate")
    _run_generate(recorded_config(run_dir), root, run_dir)  # with its run seed


def _run_generate(cfg, root: Path, run_dir: RunDir, resuming: bool = False) -> None:
    """Generation of a `generate` run, new or resumed, and its summary lines."""
    from flows.cluster import scheduler, with_runner
    from flows.generate import generate_flow

    with failing(run_dir), scheduler(cfg.cluster) as address, console_logging.stage("generate"):
        if resuming:  # under the lock: a run still running elsewhere is left as it is
            run_dir.resumed()
        with_runner(generate_flow, address)(cfg.generate, str(root), run_dir.run_id, cluster=cfg.cluster,
                                            curate=cfg.curate)
    run_dir.update_status(status="generated")
    gen = run_dir.status["stages"]["generate"]
    out.print(f"{gen['candidates']} candidates in {run_dir.file('candidates.jsonl')}: {gen['kept']} pass curation "
              f"(target {gen['target']}, {len(gen['rounds'])} rounds)")
    out.print(f"curate them with: germinate curate {run_dir.run_id}")


@app.command()
def curate(run: Optional[str] = typer.Argument(None, help="A run id or directory to curate"),
           input: Optional[Path] = typer.Option(None, "--input", help="Curate an existing dataset file"),
           format: str = typer.Option("auto", help="auto | alpaca | messages | self-instruct"),
           config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
           set_: list[str] = SetOpt, verbose: bool = VerboseOpt) -> None:
    """Run the filters on a generated run, or on any dataset file with --input."""
    root = start(data_root, verbose)
    from flows.preflight_checks import check_writable
    from flows.prepare import create_run, preflight_quality

    cfg = read_config(config, set_)
    if (run is None) == (input is None):
        raise GerminateError("give either a RUN to curate or --input FILE, not both or neither")
    if format not in FORMATS:
        raise GerminateError(f"--format must be one of {', '.join(FORMATS)}, got '{format}'")
    if cfg.curate.decontamination.eval_set:
        load_tasks(cfg.curate.decontamination.eval_set, "eval")
    # What the user named is read before the scorer's model is prepared: on a fresh machine
    # that conversion took minutes before "input file not found" (tests/core/test_console_logging.py).
    if input is not None:
        run_id = new_run_id("curate-")
        candidates = read_candidates(input, run_id, format)  # fails before any directory exists
    else:
        run_dir = RunDir.open(root, run)
        if not run_dir.file("candidates.jsonl").exists():
            raise GerminateError(f"run {run_dir.run_id} has no candidates.jsonl to curate")
    preflight_quality(cfg.curate)
    check_writable(root)
    overrides.load(root)  # a damaged override file: one line, before a run directory exists
    if input is not None:
        run_dir = create_run(root, cfg, "curate", run_id)
        atomic_write_jsonl(run_dir.file("candidates.jsonl"), [c.model_dump() for c in candidates])
        card, use_pool = {"source": str(input)}, False
        if cfg.cluster.runner == "local":
            # Nothing to orchestrate (one process, no pool, no shards): the same files without
            # Prefect, whose temporary API server took 9 of the 12 s a one-row file needed.
            from flows.curation import curate_without_pool

            with failing(run_dir), console_logging.stage("curate"):
                curate_without_pool(run_dir, cfg.curate, card)
            run_dir.update_status(status="completed")
            print_summary(out, run_dir)
            return
    else:
        from flows.prepare import provenance

        # Compare with the seeds this run was grown from, and record its teacher, as the
        # pipeline does.
        cfg = cfg.model_copy(update={"generate": read_config(run_dir.file("config.yaml"), []).generate})
        card, use_pool = provenance(cfg.generate), True
    from flows.cluster import scheduler, with_runner
    from flows.curate import curate_flow

    with failing(run_dir), scheduler(cfg.cluster) as address, console_logging.stage("curate"):
        with_runner(curate_flow, address)(cfg.curate, str(run_dir.data_root), run_dir.run_id,
                                          use_pool=use_pool, seeds=str(cfg.generate.seeds) if use_pool else None,
                                          card=card, cluster=cfg.cluster)
    run_dir.update_status(status="completed")
    print_summary(out, run_dir)
