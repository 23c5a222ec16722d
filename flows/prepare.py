"""Preparing a run: everything that can fail on bad input is checked before its directory exists.

One place for the CLI commands and for the `pipeline` flow started by a schedule: `preflight`
validates, `create_run` writes the run directory (config snapshot + status) in one rename, and
`provenance` is the dataset card's record of where the candidates came from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from core import overrides
from core.errors import GerminateError
from core.config import CurateConfig, GenerateConfig, PipelineConfig, dump_config, load_config
from core.fingerprints import fingerprint_file
from core.language import detect_language
from core.records import load_tasks
from core.store import RunDir, new_run_id
from filters.quality.classifier import check_probe
from flows.evaluate_checks import check_evaluation, print_warnings
from flows.generate import preflight_teacher
from flows.preflight_checks import check_student, check_teacher_model, check_writable, model_config


def preflight(cfg: PipelineConfig, teacher: bool = True, evaluation: bool = True,
              root: Path | None = None) -> None:
    """Every input the run will need, cheapest first, before its directory exists: seeds,
    decontamination set, quality models, (unless `evaluation=False`: generation only) the
    student and its LoRA rank and the evaluation's settings and judge
    (`flows.evaluate_checks.check_evaluation`), the teacher's model and context length, the
    data root (when given) and last (unless `teacher=False`, e.g. a resumed run whose
    generation is done) the teacher itself: an in-process engine is built now and reused by
    the flow, an endpoint is reached."""
    seeds = load_tasks(cfg.generate.seeds, "seed")
    if cfg.curate.decontamination.eval_set:
        load_tasks(cfg.curate.decontamination.eval_set, "eval")
    preflight_quality(cfg.curate)
    warnings = []
    if evaluation:
        check_student(cfg)
        warnings = check_evaluation(cfg)
    # A language's own teacher is loaded only when the seeds will ask it anything.
    seed_languages = {detect_language(t.instruction) for t in seeds}
    teachers = {"generate.teacher": cfg.generate.teacher} | {
        f"generate.language_teachers.{lang}": t for lang, t in cfg.generate.teachers_by_language().items()
        if lang in seed_languages}
    for what, t in teachers.items():
        check_teacher_model(t, what)
    if root is not None:
        check_writable(root)
    if teacher:
        for t in teachers.values():
            preflight_teacher(t, cfg.cluster)
    print_warnings(warnings)


def preflight_quality(cfg: CurateConfig) -> None:
    """The quality signals' models exist: the reference LM resolves to a loadable model config
    (an embedded model is converted now), and an enabled rater is reachable. Checked before
    anything is generated, so a typo costs seconds, not a night's generation."""
    q = cfg.quality
    if q.fluency.enabled or q.ifd.enabled or q.classifier.enabled:
        model_config(q.reference_model, "curate.quality.reference_model")
    if q.classifier.enabled:
        try:
            check_probe(q.classifier.weights, q.reference_model)
        except ValueError as e:
            raise GerminateError(f"curate.quality.classifier: {e}") from None
    if q.rating.enabled:
        preflight_teacher(q.rating.teacher)


def derive_run_seed(run_id: str) -> int:
    """A run's own 31-bit seed, from its id (a creation timestamp, or the name given with
    --run-id): every night asks new questions, and the same id always gives the same seed."""
    return int.from_bytes(hashlib.sha256(f"germinate-run:{run_id}".encode()).digest()[:4], "big") & 0x7FFFFFFF


def with_run_seed(cfg: PipelineConfig, run_id: str) -> PipelineConfig:
    """`cfg` with `generate.run_seed` fixed: as configured, else derived from the run id."""
    if cfg.generate.run_seed is not None:
        return cfg
    return cfg.model_copy(update={"generate": cfg.generate.model_copy(update={"run_seed": derive_run_seed(run_id)})})


def create_run(root: Path, cfg: PipelineConfig, kind: str, run_id: str | None = None) -> RunDir:
    """The run directory with its config snapshot and status, created in one rename.

    The snapshot records the run seed (`with_run_seed`): `resume` re-reads it, so a resumed
    run rebuilds the requests it had not finished. Run a new run with `recorded_config(run)`.
    """
    # Curation will read the person's overrides: a damaged file fails now, not after generation.
    overrides.load(root)
    run_id = run_id or new_run_id()
    return RunDir.create(root, run_id, dump_config(with_run_seed(cfg, run_id)), kind)


def recorded_config(run: RunDir) -> PipelineConfig:
    """The config snapshot a run was created with (its run seed included), as `resume` reads it."""
    return load_config(run.file("config.yaml"))


def provenance(gen: GenerateConfig) -> dict[str, Any]:
    """The dataset card's provenance of generated candidates: teacher(s), sampling, seeds, run seed."""
    own = {lang: f"{t.backend}:{t.model} ({t.mode})" for lang, t in gen.teachers_by_language().items()}
    return {
        "teacher": f"{gen.teacher.backend}:{gen.teacher.model}",
        **({"teachers by language": own} if own else {}),
        "instruction sampling": gen.instruction_sampling.model_dump(),
        "instance sampling": gen.instance_sampling.model_dump(),
        "seeds": f"{gen.seeds} (sha256 {fingerprint_file(gen.seeds)})",
        "run seed": gen.run_seed,
        "example sampling": gen.example_sampling,
    }
