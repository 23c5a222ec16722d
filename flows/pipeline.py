"""Prefect flow `pipeline`: generate -> curate -> tune -> evaluate -> promote.

Each stage records completion in the run's status.json and skips itself when already done,
so re-running a run's pipeline (`germinate resume RUN`) continues where it stopped.
"""

# No `from __future__ import annotations`: Prefect builds the deployment's parameter model
# from these annotations when it loads this file by path, and string annotations fail there.

import time
from pathlib import Path

from prefect import flow

from core import console_logging, paths, runtime_env
from core.config import PipelineConfig
from core.store import RunDir
from flows.cluster import scheduler, with_runner
from flows.curate import curate_flow
from flows.evaluate import evaluate_flow
from flows.generate import generate_flow
from flows.prepare import create_run, preflight, provenance, recorded_config
from flows.tune import tune_flow
from reports.artifacts import publish_eval, publish_summary
from reports.html_report import write_report


@flow(name="pipeline", log_prints=True)
def pipeline_flow(config: PipelineConfig = PipelineConfig(), data_root: str | None = None,
                  run_id: str | None = None) -> dict:
    """One nightly run as data: seeds -> candidates -> ledger + curated set -> adapter -> eval.

    Without `run_id` (a scheduled run) the flow validates its inputs and creates a new run
    directory itself; with one (the CLI, `resume`) it continues that run.
    """
    root = Path(paths.data_root(data_root))
    runtime_env.configure(root)
    if run_id is not None:  # the CLI holds the run's lock already
        return run_stages(config, RunDir(root, run_id))
    run = new_run(config, root)
    # A cancelled deployment run (Prefect sends SIGTERM) is recorded "interrupted", a crash
    # "failed": either way `germinate resume` continues it.
    with run.guard():
        # As recorded: with the run seed it was given (resume reads the same file).
        return run_stages(recorded_config(run), run)


def run_stages(config: PipelineConfig, run: RunDir) -> dict:
    """Every stage in order; each skips itself when the run's status says it is done."""
    # The Dask cluster (if any) lives for generation and curation only: training and
    # evaluation then have the machine, and its accelerator, to themselves.
    with scheduler(config.cluster) as address:
        generate_and_curate(config, run, address)
    return tune_and_evaluate(config, run)


def generate_and_curate(config: PipelineConfig, run: RunDir, address: str | None) -> None:
    data_root, run_id = str(run.data_root), run.run_id
    gen = config.generate
    with console_logging.stage("generate"):
        with_runner(generate_flow, address)(gen, data_root, run_id, cluster=config.cluster, curate=config.curate)
    if not run.stage_done("curate"):
        with console_logging.stage("curate"):
            with_runner(curate_flow, address)(config.curate, data_root, run_id, use_pool=True, seeds=str(gen.seeds),
                                              card=provenance(gen), cluster=config.cluster)


def tune_and_evaluate(config: PipelineConfig, run: RunDir) -> dict:
    data_root, run_id = str(run.data_root), run.run_id
    gen = config.generate
    curated = run.status["stages"]["curate"]
    if curated["kept"] == 0 and config.tune.skip_when_nothing_kept:
        # Nothing new was accepted tonight: an outcome, not an error. No new adapter, nothing
        # to evaluate or promote, the champion stays; the run completes and says why.
        line = nothing_kept_line(curated)
        print(line)
        run.update_status(status="completed", note=f"training skipped: {line}", skipped=["tune", "evaluate"])
        finish(run)
        return run.status
    with console_logging.stage("tune"):
        adapter = tune_flow(config.tune, data_root, run_id, seeds=str(gen.seeds),
                            eval_set=str(config.evaluate.eval_set), curate=config.curate)
    if not run.stage_done("evaluate"):
        started = time.perf_counter()
        with console_logging.stage("evaluate"):
            result = evaluate_flow(config.evaluate, config.tune.student, gen.teacher, data_root,
                                   candidate=adapter, run_id=run_id, out_path=str(run.file("eval.json")))
        run.mark_stage("evaluate", promote=result["decision"]["promote"],
                       seconds=round(time.perf_counter() - started, 1))
        publish_eval(run_id, result)
    run.update_status(status="completed")
    finish(run)
    return run.status


def nothing_kept_line(curated: dict, top: int = 3) -> str:
    """"0 of N candidates passed; top reasons: a (n), b (n), c (n)" from the curate stage's
    summary (a row dropped for several reasons counts under each)."""
    reasons = sorted(curated.get("drops_by_reason", {}).items(), key=lambda kv: -kv[1])[:top]
    why = ", ".join(f"{reason} ({n})" for reason, n in reasons) or "none recorded"
    return f"0 of {curated['generated']} candidates passed; top reasons: {why}"


def finish(run: RunDir) -> None:
    """The morning view: report.html and the summary artifact."""
    write_report(run, run.data_root)
    publish_summary(run)


def new_run(config: PipelineConfig, root: Path) -> RunDir:
    """A scheduled run's directory, created after its inputs pass the preflight."""
    preflight(config, root=root)
    return create_run(root, config, "pipeline")
