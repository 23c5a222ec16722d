"""Prefect flow `pipeline`: generate -> curate (later stages chain on here)."""

from __future__ import annotations

from prefect import flow

from flows.curate import curate_flow
from flows.generate import generate_flow
from germinate.config import PipelineConfig
from germinate.outputs import fingerprint_file
from germinate.store import RunDir


@flow(name="pipeline", log_prints=True)
def pipeline_flow(config: PipelineConfig, data_root: str, run_id: str) -> dict:
    """One nightly run as data: seeds -> candidates -> ledger + curated set."""
    gen = config.generate
    generate_flow(gen, data_root, run_id)
    card = {
        "teacher": f"{gen.teacher.backend}:{gen.teacher.model}",
        "instruction sampling": gen.instruction_sampling.model_dump(),
        "instance sampling": gen.instance_sampling.model_dump(),
        "seeds": f"{gen.seeds} (sha256 {fingerprint_file(gen.seeds)})",
        "run seed": gen.run_seed,
    }
    summary = curate_flow(config.curate, data_root, run_id, use_pool=True, seeds=str(gen.seeds), card=card)
    RunDir(data_root, run_id).update_status(status="completed")
    return summary
