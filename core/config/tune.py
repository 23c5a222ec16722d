"""`tune`: LoRA supervised fine-tuning of the student."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.config.base import Strict

EMBEDDED_STUDENT = "embedded:gemma-3-270m"


class LoraSettings(Strict):
    r: int = Field(8, ge=1, le=256)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    # "all-linear" (peft's shorthand) or explicit module names.
    target_modules: str | list[str] = "all-linear"


class TuneConfig(Strict):
    """LoRA supervised fine-tuning of the student on the curated data (peft + TRL)."""

    # A pretrained *base* model by default, so instruction tuning has something to teach.
    student: str = EMBEDDED_STUDENT
    # `response`: loss on the assistant's tokens only (prompt tokens get label -100), the usual
    # SFT choice. `full`: loss on question and answer together, which our seed notes argue for
    # when data is scarce (the model also learns the prompt distribution); costs some focus.
    loss_on: Literal["response", "full"] = "response"
    lora: LoraSettings = LoraSettings()
    # Where examples come from: the whole accumulated pool (optionally only the last N runs)
    # or just this run's curated set; human seed tasks can be mixed in.
    data: Literal["pool", "run"] = "pool"
    window_runs: int | None = Field(None, ge=1)
    include_seeds: bool = True
    # A run whose curation kept nothing has nothing new to teach: by default it skips tuning
    # (and so evaluation and promotion; the champion stays) and completes saying why. False
    # trains anyway on what `data` and `include_seeds` select (the pool and the seed tasks).
    skip_when_nothing_kept: bool = True
    max_steps: int = Field(30, ge=1)
    batch_size: int = Field(4, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    learning_rate: float = Field(2e-4, gt=0)
    max_length: int = Field(512, ge=32)
    packing: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0
