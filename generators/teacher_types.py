"""What every teacher backend speaks: chat messages (chat mode) or plain text to continue (base
mode) in, `Completion`s out (see `teachers`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.config import Sampling

Messages = list[dict[str, str]]


@dataclass
class Completion:
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    # Tries it took (the openai backend retries transient failures); logged per request.
    attempts: int = 1


class Teacher(Protocol):
    name: str

    def complete(
        self, batch: list[Messages], sampling: Sampling, seeds: list[int], schema: dict | None = None
    ) -> list[Completion]: ...

    def complete_text(
        self, prompts: list[str], sampling: Sampling, seeds: list[int], stop: list[str]
    ) -> list[Completion]:
        """Continue each prompt as raw text (no chat template), ending at any of `stop`
        (not included in the text) or at `sampling.max_tokens`."""
        ...

    def close(self) -> None: ...
