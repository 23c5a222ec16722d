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
from flows.prepare import create_run, preflight, provenance
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
    with run.lock():
        return run_stages(config, run)


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
        with_runner(generate_flow, address)(gen, data_root, run_id, cluster=config.cluster)
    if not run.stage_done("curate"):
        with console_logging.stage("curate"):
            with_runner(curate_flow, address)(config.curate, data_root, run_id, use_pool=True, seeds=str(gen.seeds),
                                              card=provenance(gen), cluster=config.cluster)


def tune_and_evaluate(config: PipelineConfig, run: RunDir) -> dict:
    data_root, run_id = str(run.data_root), run.run_id
    gen = config.generate
    if run.status["stages"]["curate"]["kept"] == 0:
        # Nothing new was accepted tonight: no new adapter, the champion stays.
        print("no examples kept in this run: tuning and evaluation skipped")
        run.update_status(status="completed", note="nothing kept: tuning skipped")
        finish(run)
        return run.status
    with console_logging.stage("tune"):
        adapter = tune_flow(config.tune, data_root, run_id, seeds=str(gen.seeds))
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


def finish(run: RunDir) -> None:
    """The morning view: report.html and the summary artifact."""
    write_report(run, run.data_root)
    publish_summary(run)


def new_run(config: PipelineConfig, root: Path) -> RunDir:
    """A scheduled run's directory, created after its inputs pass the preflight."""
    preflight(config)
    return create_run(root, config, "pipeline")
