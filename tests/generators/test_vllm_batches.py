"""The in-process vLLM teacher starts every batch from an empty prefix cache, in chat and base
mode: which prompt tokens are cached changes how prefills are batched and so, slightly, the
sampled text, and a resumed run must ask its rounds exactly as an uninterrupted one did.
Measured before base mode had it: a default night (Korean rows from the base model) SIGKILLed
in round 2 and resumed differed from the uninterrupted night in 24 of its 56 Korean rows, and in
none of the chat teacher's. The real engines' resume equality is tested in tests/integration;
here, with a stand-in for `vllm.LLM`, that the reset comes before each batch."""

from __future__ import annotations

import pytest

from core.config import Sampling, TeacherConfig
from generators.teachers import VLLMTeacher

pytest.importorskip("vllm")


class RecordingLLM:
    """Records the calls a teacher makes; answers each prompt with an empty completion."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def reset_prefix_cache(self) -> None:
        self.calls.append("reset")

    def generate(self, prompts, sampling_params=None, use_tqdm=False):
        self.calls.append(f"generate {len(prompts)}")
        return [_Out() for _ in prompts]

    def chat(self, batch, sampling_params=None, use_tqdm=False, lora_request=None):
        self.calls.append(f"chat {len(batch)}")
        return [_Out() for _ in batch]


class _Out:
    prompt_token_ids = [1, 2]

    class _Text:
        text, finish_reason, token_ids = "", "stop", []

    outputs = [_Text()]


def teacher() -> VLLMTeacher:
    t = object.__new__(VLLMTeacher)  # no engine: the stand-in replaces it
    t.cfg, t.name, t.llm = TeacherConfig(mode="base"), "vllm:stand-in", RecordingLLM()
    return t


def test_every_batch_starts_from_an_empty_prefix_cache_in_both_modes():
    t = teacher()
    t.complete_text(["1. a\n2.", "1. b\n2."], Sampling(), [1, 2], stop=["\n"])
    t.complete([[{"role": "user", "content": "hi"}]], Sampling(), [3])
    t.complete_text(["1. c\n2."], Sampling(), [4], stop=["\n"])
    assert t.llm.calls == ["reset", "generate 2", "reset", "chat 1", "reset", "generate 1"]
