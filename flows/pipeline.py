"""Prefect flow `pipeline`: generate -> curate -> tune -> evaluate -> promote.

Each stage records completion in the run's status.json and skips itself when already done,
so re-running a run's pipeline (`germinate resume RUN`) continues where it stopped.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.curate import curate_flow
from flows.evaluate import evaluate_flow
from flows.generate import generate_flow
from flows.tune import tune_flow
from germinate.config import PipelineConfig
from germinate.outputs import fingerprint_file
from germinate.store import RunDir


@flow(name="pipeline", log_prints=True)
def pipeline_flow(config: PipelineConfig, data_root: str, run_id: str) -> dict:
    """One nightly run as data: seeds -> candidates -> ledger + curated set -> adapter -> eval."""
    run = RunDir(Path(data_root), run_id)
    gen = config.generate
    generate_flow(gen, data_root, run_id)
    if not run.stage_done("curate"):
        card = {
            "teacher": f"{gen.teacher.backend}:{gen.teacher.model}",
            "instruction sampling": gen.instruction_sampling.model_dump(),
            "instance sampling": gen.instance_sampling.model_dump(),
            "seeds": f"{gen.seeds} (sha256 {fingerprint_file(gen.seeds)})",
            "run seed": gen.run_seed,
        }
        curate_flow(config.curate, data_root, run_id, use_pool=True, seeds=str(gen.seeds), card=card)
    adapter = tune_flow(config.tune, data_root, run_id, seeds=str(gen.seeds))
    if not run.stage_done("evaluate"):
        result = evaluate_flow(config.evaluate, config.tune.student, gen.teacher, data_root,
                               candidate=adapter, run_id=run_id, out_path=str(run.file("eval.json")))
        run.mark_stage("evaluate", promote=result["decision"]["promote"])
    run.update_status(status="completed")
    return run.status
