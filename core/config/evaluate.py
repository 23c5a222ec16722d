"""`evaluate`: the held-out evaluation, the pairwise judge and the promotion gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from core.config.base import Strict
from core.config.generate import TeacherConfig
from core.paths import DEFAULT_EVAL_SET

# Every metric the gate can decide on (evals/metrics.py says what each one is). heldout_loss
# is lower-is-better; judge_win_rate needs the judge.
GATE_METRICS = ("rouge_l", "constraint_accuracy", "constraint_accuracy_loose", "instruction_accuracy",
                "instruction_accuracy_loose", "eos_rate", "heldout_loss", "judge_win_rate")
GateMetric = Literal[GATE_METRICS]  # type: ignore[valid-type]


class JudgeConfig(TeacherConfig):
    """The pairwise judge: the teacher's settings (backend, model, base_url, ...) plus `enabled`.

    Off unless configured, because the default teacher (the embedded 135M model) decides
    nothing: it prefers a position, so every pair judged in both orders is a split.
    - `model` set: the judge is that model, on `backend` (e.g. an OpenAI-compatible server at
      `base_url`); on unless `enabled: false`.
    - `model` unset: off, unless `enabled: true`, which makes the teacher (generate.teacher) judge.
    """

    enabled: bool | None = None
    model: str | None = None  # type: ignore[assignment]
    # The reply is {"winner": "A"}: ~8 tokens; room for a model that writes a sentence first.
    max_tokens: int = Field(64, ge=1, le=4096)

    @model_validator(mode="after")
    def _model_named_when_configured(self) -> "JudgeConfig":
        if self.model is None:
            defaults = TeacherConfig()
            changed = [k for k in TeacherConfig.model_fields if k != "model" and getattr(self, k) != getattr(defaults, k)]
            if changed:
                raise ValueError(f"judge.{changed[0]} is set but judge.model is not: name the judge's model")
        return self

    def resolve(self, teacher: TeacherConfig) -> TeacherConfig | None:
        """The engine settings the judge runs on, or None when the judge is off."""
        if self.enabled is False or (self.model is None and not self.enabled):
            return None
        if self.model is None:
            return teacher
        return TeacherConfig(**self.model_dump(exclude={"enabled", "max_tokens"}))


class GateConfig(Strict):
    """How sure the gate must be (see evals/gate.py)."""

    # Two-sided confidence of the paired-bootstrap intervals; the gate uses the lower bound.
    confidence: float = Field(0.95, ge=0.5, lt=1.0)
    n_boot: int = Field(2000, ge=100, le=100_000)
    seed: int = 0
    # Secondary metric -> the largest regression tolerated (in the metric's units).
    secondary: dict[GateMetric, float] = Field(  # type: ignore[valid-type]
        default_factory=lambda: {"eos_rate": 0.05, "constraint_accuracy": 0.05})

    @field_validator("secondary")
    @classmethod
    def _tolerances_non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for metric, tolerance in value.items():
            if tolerance < 0:
                raise ValueError(f"tolerance for {metric} must be >= 0, got {tolerance}")
        return value


class EvalConfig(Strict):
    """Held-out evaluation and the promotion gate."""

    eval_set: Path = DEFAULT_EVAL_SET
    # How the student answers. transformers by default: vLLM cannot tear down a second
    # in-process engine without breaking the teacher's, and on CPU it buys little here.
    backend: Literal["vllm", "transformers"] = "transformers"
    max_tokens: int = Field(96, ge=1)
    primary_metric: GateMetric = "rouge_l"  # type: ignore[valid-type]
    # Promote only if the lower CI bound of the improvement over base and champion exceeds this.
    margin: float = Field(0.0, ge=0.0)
    judge: JudgeConfig = JudgeConfig()
    gate: GateConfig = GateConfig()
    # Reuse the base model's and the champion's answers from earlier runs (greedy decoding
    # is deterministic for the same model, prompts, token limit and backend).
    cache_answers: bool = True

    @field_validator("judge", mode="before")
    @classmethod
    def _judge_switch(cls, value: Any) -> Any:
        # `judge: true|false` (the old switch, also in older runs' config.yaml) means enabled.
        return {"enabled": value} if isinstance(value, bool) else value
