"""`germinate` command line. Problems a user can fix print one line on stderr and exit 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

try:  # typer >= 0.26 vendors its own click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc
from rich.console import Console

from core import runtime_env
from core.config import PipelineConfig, load_config, parse_override
from core.errors import GerminateError
from core.paths import data_root as resolve_root

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grow instruction-tuning data with a self-instructing teacher.")
model_app = typer.Typer(no_args_is_help=True, help="Embedded models.")
teacher_app = typer.Typer(no_args_is_help=True, help="The teacher model's server.")
app.add_typer(model_app, name="model")
app.add_typer(teacher_app, name="teacher")
out = Console()

ConfigOpt = typer.Option(None, "--config", "-c", help="germinate.yaml (defaults if omitted)")
RootOpt = typer.Option(None, "--data-root", help="Data root (default $GERMINATE_HOME or ./germinate-data)")
SetOpt = typer.Option([], "--set", help="Override a config key, e.g. generate.num_instructions=50")


def _config(path: Optional[Path], sets: list[str], extra: list[tuple[str, Any]] = ()) -> PipelineConfig:
    overrides = [parse_override(s) for s in sets] + list(extra)
    return load_config(path, overrides)


def _start(root: Optional[Path]) -> Path:
    resolved = resolve_root(root)
    runtime_env.configure(resolved)
    return resolved


def _preflight(cfg: PipelineConfig, teacher: bool = True) -> None:
    """Everything that can fail on bad input, checked before a run directory exists.
    `teacher=False` skips building the teacher (a resumed run whose generation is done)."""
    from flows.generate import preflight_teacher
    from core.records import load_tasks

    load_tasks(cfg.generate.seeds, "seed")
    if cfg.curate.decontamination.eval_set:
        load_tasks(cfg.curate.decontamination.eval_set, "eval")
    # Builds (for openai: reaches) the teacher now; the flow reuses it.
    if teacher:
        preflight_teacher(cfg.generate.teacher, cfg.cluster)


def _create_run(root: Path, cfg, kind: str, run_id: Optional[str]):
    from core.config import dump_config
    from core.store import RunDir, new_run_id

    return RunDir.create(root, run_id or new_run_id(), dump_config(cfg), kind)


@app.command()
def run(config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
        set_: list[str] = SetOpt, run_id: Optional[str] = typer.Option(None, help="Name the run")) -> None:
    """Run the whole pipeline (generate -> curate) into a new run directory."""
    root = _start(data_root)
    cfg = _config(config, set_)
    _preflight(cfg)
    run_dir = _create_run(root, cfg, "pipeline", run_id)
    _run_pipeline(cfg, root, run_dir)


def _run_pipeline(cfg: PipelineConfig, root: Path, run_dir) -> None:
    import json

    from flows.pipeline import pipeline_flow
    from reports.console import print_eval, print_summary

    with _failing(run_dir):
        pipeline_flow(cfg, str(root), run_dir.run_id)
    print_summary(out, run_dir)
    if run_dir.file("eval.json").exists():
        print_eval(out, json.loads(run_dir.file("eval.json").read_text(encoding="utf-8")))


@app.command()
def resume(run: str = typer.Argument(..., help="A run id or directory"),
           data_root: Optional[Path] = RootOpt) -> None:
    """Finish an interrupted run: finished requests and stages are not redone."""
    from core.store import RunDir

    root = _start(data_root)
    run_dir = RunDir.open(root, run)
    if run_dir.status.get("kind") != "pipeline":
        raise GerminateError(f"run {run_dir.run_id} is a '{run_dir.status.get('kind')}' run; only pipeline runs resume")
    cfg = _config(run_dir.file("config.yaml"), [])
    # Loading the in-process engine costs 20-30 s: skip it when no stage left needs it (the
    # judge does; it is then loaded before training, the order a fresh run uses).
    done = run_dir.stage_done
    _preflight(cfg, teacher=not done("generate") or (cfg.evaluate.judge and not done("evaluate")))
    run_dir.update_status(status="running")
    _run_pipeline(cfg, run_dir.data_root, run_dir)


@app.command()
def tune(run: str = typer.Argument(..., help="A curated run id or directory"),
         config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
         set_: list[str] = SetOpt) -> None:
    """LoRA-tune the student on the curated data; the adapter goes to RUN/adapter."""
    from flows.tune import tune_flow
    from core.store import RunDir

    root = _start(data_root)
    run_dir = RunDir.open(root, run)
    cfg = _config(config or run_dir.file("config.yaml"), set_)
    if not run_dir.stage_done("curate"):
        raise GerminateError(f"run {run_dir.run_id} is not curated yet: run `germinate curate {run_dir.run_id}`")
    if run_dir.status["stages"]["curate"]["kept"] == 0:
        raise GerminateError(f"run {run_dir.run_id} kept no examples: its curated set is empty, nothing new to tune on")
    with _failing(run_dir):
        adapter = tune_flow(cfg.tune, str(run_dir.data_root), run_dir.run_id, seeds=str(cfg.generate.seeds))
    out.print(f"adapter: {adapter}")


@app.command("eval")
def eval_(eval_set: Optional[Path] = typer.Option(None, "--eval-set", help="Self-Instruct JSONL eval tasks"),
          model: Optional[str] = typer.Option(None, "--model", help="Student base model (default: config)"),
          adapter: Optional[Path] = typer.Option(None, "--adapter", help="LoRA adapter to evaluate"),
          config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
          set_: list[str] = SetOpt) -> None:
    """Base vs champion (vs --adapter) on a held-out set; prints the table, changes nothing."""
    from flows.evaluate import eval_items, evaluate_flow
    from reports.console import print_eval

    root = _start(data_root)
    extra = [("evaluate.eval_set", str(eval_set))] if eval_set else []
    extra += [("tune.student", model)] if model else []
    cfg = _config(config, set_, extra)
    eval_items(cfg.evaluate.eval_set)  # a bad eval file fails here, before any model loads
    if adapter is not None:
        from core.models import resolve_model
        from evals.answers import check_adapter

        # Before any flow starts: a wrong adapter is bad input, reported in one line.
        check_adapter(adapter, resolve_model(cfg.tune.student))
    result = evaluate_flow(cfg.evaluate, cfg.tune.student, cfg.generate.teacher, str(root),
                           candidate=str(adapter) if adapter else None, record=False)
    print_eval(out, result)


@app.command()
def generate(config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
             seeds: Optional[Path] = typer.Option(None, help="Self-Instruct JSONL seed tasks"),
             n: Optional[int] = typer.Option(None, "--n", help="Number of new instructions"),
             set_: list[str] = SetOpt) -> None:
    """Generate candidates only (curate them later with `germinate curate RUN`)."""
    root = _start(data_root)
    extra = [("generate.seeds", str(seeds))] if seeds else []
    extra += [("generate.num_instructions", n)] if n is not None else []
    cfg = _config(config, set_, extra)
    _preflight(cfg)
    run_dir = _create_run(root, cfg, "generate", None)
    from flows.cluster import scheduler, with_runner
    from flows.generate import generate_flow

    with _failing(run_dir), scheduler(cfg.cluster) as address:
        with_runner(generate_flow, address)(cfg.generate, str(root), run_dir.run_id, cluster=cfg.cluster)
    run_dir.update_status(status="generated")
    count = run_dir.status["stages"]["generate"]["candidates"]
    out.print(f"{count} candidates in {run_dir.file('candidates.jsonl')}")
    out.print(f"curate them with: germinate curate {run_dir.run_id}")


@app.command()
def curate(run: Optional[str] = typer.Argument(None, help="A run id or directory to curate"),
           input: Optional[Path] = typer.Option(None, "--input", help="Curate an existing dataset file"),
           format: str = typer.Option("auto", help="auto | alpaca | messages | self-instruct"),
           config: Optional[Path] = ConfigOpt, data_root: Optional[Path] = RootOpt,
           set_: list[str] = SetOpt) -> None:
    """Run the filters on a generated run, or on any dataset file with --input."""
    from core.inputs import FORMATS, read_candidates
    from core.records import load_tasks
    from core.store import RunDir, atomic_write_jsonl, new_run_id

    root = _start(data_root)
    cfg = _config(config, set_)
    if (run is None) == (input is None):
        raise GerminateError("give either a RUN to curate or --input FILE, not both or neither")
    if format not in FORMATS:
        raise GerminateError(f"--format must be one of {', '.join(FORMATS)}, got '{format}'")
    if cfg.curate.decontamination.eval_set:
        load_tasks(cfg.curate.decontamination.eval_set, "eval")
    if input is not None:
        run_id = new_run_id("curate-")
        candidates = read_candidates(input, run_id, format)  # fails before any directory exists
        run_dir = _create_run(root, cfg, "curate", run_id)
        atomic_write_jsonl(run_dir.file("candidates.jsonl"), [c.model_dump() for c in candidates])
        card, use_pool = {"source": str(input)}, False
    else:
        run_dir = RunDir.open(root, run)
        if not run_dir.file("candidates.jsonl").exists():
            raise GerminateError(f"run {run_dir.run_id} has no candidates.jsonl to curate")
        card, use_pool = {}, True
        # Compare with the seeds this run was grown from, as the pipeline does.
        cfg = cfg.model_copy(update={"generate": _config(run_dir.file("config.yaml"), []).generate})
    from flows.cluster import scheduler, with_runner
    from flows.curate import curate_flow
    from reports.console import print_summary

    with _failing(run_dir), scheduler(cfg.cluster) as address:
        with_runner(curate_flow, address)(cfg.curate, str(run_dir.data_root), run_dir.run_id,
                                          use_pool=use_pool, seeds=str(cfg.generate.seeds) if use_pool else None,
                                          card=card, cluster=cfg.cluster)
    run_dir.update_status(status="completed")
    print_summary(out, run_dir)


class _failing:
    """Mark a run failed (resumable) when its flow raises, then let the error through."""

    def __init__(self, run_dir, lock: bool = True) -> None:
        self.run_dir = run_dir
        self._lock = run_dir.lock() if lock else None

    def __enter__(self):
        if self._lock:
            self._lock.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                self.run_dir.update_status(status="failed", error=str(exc) or exc_type.__name__)
        finally:
            if self._lock:
                self._lock.__exit__(exc_type, exc, tb)
        return False


def main(argv: list[str] | None = None) -> int:
    import germinate.cli_ops  # noqa: F401  (registers the operations commands on `app`)

    command = typer.main.get_command(app)
    try:
        command.main(args=argv if argv is not None else sys.argv[1:], prog_name="germinate",
                     standalone_mode=False)
    except GerminateError as exc:
        print(f"germinate: error: {exc}", file=sys.stderr)
        return 2
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "usage: germinate COMMAND ...")
        return 0
    except click_exc.UsageError as exc:
        print(f"germinate: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except click_exc.ClickException as exc:
        print(f"germinate: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only data root: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"germinate: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("germinate: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    # Run through the imported module so cli_ops registers on the same `app`.
    from germinate.cli import main as _main

    sys.exit(_main())
