"""Preparing a run: everything that can fail on bad input is checked before its directory exists.

One place for the CLI commands and for the `pipeline` flow started by a schedule: `preflight`
validates, `create_run` writes the run directory (config snapshot + status) in one rename, and
`provenance` is the dataset card's record of where the candidates came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import overrides
from core.config import GenerateConfig, PipelineConfig, dump_config
from core.fingerprints import fingerprint_file
from core.records import load_tasks
from core.store import RunDir, new_run_id
from flows.generate import preflight_teacher


def preflight(cfg: PipelineConfig, teacher: bool = True) -> None:
    """Seeds, eval set and (unless `teacher=False`, e.g. a resumed run whose generation is done)
    the teacher: an in-process engine is built now and reused by the flow, an endpoint is reached."""
    load_tasks(cfg.generate.seeds, "seed")
    if cfg.curate.decontamination.eval_set:
        load_tasks(cfg.curate.decontamination.eval_set, "eval")
    if teacher:
        preflight_teacher(cfg.generate.teacher, cfg.cluster)


def create_run(root: Path, cfg: PipelineConfig, kind: str, run_id: str | None = None) -> RunDir:
    """The run directory with its config snapshot and status, created in one rename."""
    # Curation will read the person's overrides: a damaged file fails now, not after generation.
    overrides.load(root)
    return RunDir.create(root, run_id or new_run_id(), dump_config(cfg), kind)


def provenance(gen: GenerateConfig) -> dict[str, Any]:
    """The dataset card's provenance of generated candidates: teacher, sampling, seeds, run seed."""
    return {
        "teacher": f"{gen.teacher.backend}:{gen.teacher.model}",
        "instruction sampling": gen.instruction_sampling.model_dump(),
        "instance sampling": gen.instance_sampling.model_dump(),
        "seeds": f"{gen.seeds} (sha256 {fingerprint_file(gen.seeds)})",
        "run seed": gen.run_seed,
    }
