"""`evaluate`: the held-out evaluation and the promotion gate."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from core.config.base import Strict
from core.paths import DEFAULT_EVAL_SET


class EvalConfig(Strict):
    """Held-out evaluation and the promotion gate."""

    eval_set: Path = DEFAULT_EVAL_SET
    # How the student answers. transformers by default: vLLM cannot tear down a second
    # in-process engine without breaking the teacher's, and on CPU it buys little here.
    backend: Literal["vllm", "transformers"] = "transformers"
    max_tokens: int = Field(96, ge=1)
    # rouge_l | constraint_accuracy | heldout_loss | judge_win_rate
    primary_metric: Literal["rouge_l", "constraint_accuracy", "heldout_loss", "judge_win_rate"] = "rouge_l"
    margin: float = Field(0.0, ge=0.0)
    judge: bool = True
