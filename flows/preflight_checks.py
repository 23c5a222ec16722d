"""The preflight's model and disk checks: each fails in one line naming the setting, with no
network and no engine started, so a typo costs seconds and not a night's generation.

Models are checked through their config file only (`transformers.AutoConfig`, local files:
a path, an embedded model, or an HF id already in the local cache), which is also where the
context length a teacher can take is read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from core.config import PipelineConfig, TeacherConfig
from core.errors import GerminateError
from core.models import resolve_model
from evals.answers import STUDENT_LORA_RANK


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def model_config(name: str, what: str) -> Any:
    """The transformers config of the model `name` configured at `what` (e.g. "tune.student"),
    read from local files only: a missing embedded model, path or uncached HF id is an error."""
    label = f"{what} '{name}'"
    try:
        path = resolve_model(name)
    except GerminateError as exc:
        raise GerminateError(f"{label}: {exc}") from None
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        if not Path(path).exists():
            raise GerminateError(f"{label} cannot be loaded: neither a local model directory nor in the "
                                 "Hugging Face cache (download it first: `hf download ID`)") from None
        raise GerminateError(f"{label} cannot be loaded: {_first_line(exc)}") from None


def context_length(config: Any) -> int | None:
    """The longest sequence a model was built for (`max_position_embeddings` of its text part)."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    value = getattr(text, "max_position_embeddings", None)
    return value if isinstance(value, int) else None


def check_teacher_model(cfg: TeacherConfig, what: str = "generate.teacher") -> None:
    """A local teacher (vllm, transformers) exists and `max_model_len` fits its context; vLLM
    itself raises this only when the engine starts, as an uncaught error."""
    if cfg.backend == "openai":
        return  # the server knows its model; reaching it is the teacher check
    limit = context_length(model_config(cfg.model, f"{what}.model"))
    if limit is not None and cfg.max_model_len > limit:
        raise GerminateError(f"{what}.max_model_len={cfg.max_model_len} is larger than {cfg.model}'s context "
                             f"({limit} tokens, max_position_embeddings): set it to {limit} or less")


def check_student(cfg: PipelineConfig) -> None:
    """The student resolves to a loadable model, and its LoRA rank fits the vLLM engine that
    evaluation answers with (started with `max_lora_rank=STUDENT_LORA_RANK`)."""
    model_config(cfg.tune.student, "tune.student")
    r = cfg.tune.lora.r
    if cfg.evaluate.backend == "vllm" and r > STUDENT_LORA_RANK:
        raise GerminateError(f"tune.lora.r={r} is above the rank the vLLM student engine takes "
                             f"(max_lora_rank {STUDENT_LORA_RANK}): set tune.lora.r <= {STUDENT_LORA_RANK} "
                             "or evaluate.backend=transformers")


def check_writable(root: Path) -> None:
    """The data root (its runs/ and pool/) can be written: a read-only root, or a file where a
    directory belongs, fails now, not after generation. Creates nothing: the probe file goes in
    the nearest directory that exists, under a temp name the sweep removes."""
    for directory in (root, root / "runs", root / "pool"):
        if directory.exists() and not directory.is_dir():
            raise GerminateError(f"data root: {directory} is a file, not a directory")
    existing = root / "runs"
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise GerminateError(f"data root: {existing} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{existing.name or 'root'}.", suffix=".tmp", dir=existing)
        os.close(fd)
        Path(probe).unlink(missing_ok=True)  # (a create's sweep may have taken it already)
    except OSError as exc:
        raise GerminateError(f"data root {root} is not writable ({existing}: {exc.strerror or exc})") from None
