"""`generate`: the teacher and Self-Instruct's bootstrapping settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from core.config.base import Sampling, Strict
from core.config.tune import EMBEDDED_STUDENT
from core.language import unknown_language
from core.paths import DEFAULT_SEEDS

EMBEDDED_TEACHER = "embedded:smollm2-135m-instruct"


class TeacherConfig(Strict):
    """Which model answers and through which engine."""

    backend: Literal["vllm", "openai", "transformers"] = "vllm"
    # chat: an instruct model answers chat messages in JSON. base: a pretrained model
    # continues Self-Instruct's plain-text prompts (numbered task lists, "Task: / Input: /
    # Output:" few-shot), as the paper prompted GPT-3 (generators/base_prompts.py).
    mode: Literal["chat", "base"] = "chat"
    # `embedded:...` is the SmolLM2 model shipped on PyPI; otherwise an HF id or local path
    # (for `openai`: the model name the server knows).
    model: str = EMBEDDED_TEACHER
    base_url: str = "http://127.0.0.1:8000/v1"
    # The key is read from this environment variable at call time and never logged.
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = Field(16, ge=1, le=1024)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(3, ge=0, le=20)
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "bfloat16"
    max_model_len: int = Field(2048, ge=256)
    # Ask the backend for JSON matching the parser's schema (vLLM structured outputs).
    structured_output: bool = True
    # Several servers of the same model (`openai` backend): when set, these replace base_url
    # and each round's requests are split into one shard per endpoint, sent in parallel.
    endpoints: list[str] = []


class GenerateConfig(Strict):
    """Self-Instruct generation (Wang et al. 2022): bootstrapping, then instances."""

    teacher: TeacherConfig = TeacherConfig()
    seeds: Path = DEFAULT_SEEDS
    # Rows KEPT by curation: rounds of generation (instructions, classification, instances,
    # curation) go on until this many are kept, or for max_rounds.
    num_instructions: int = Field(24, ge=1, le=1_000_000)
    # Self-Instruct shows 8 in-context tasks per request: 6 human seeds + 2 machine ones.
    seed_per_prompt: int = Field(6, ge=1, le=32)
    machine_per_prompt: int = Field(2, ge=0, le=32)
    new_per_request: int = Field(4, ge=1, le=20)
    requests_per_round: int = Field(8, ge=1, le=4096)
    max_rounds: int = Field(10, ge=1, le=100_000)
    # None: each run gets its own seed, derived from its run id when the run is created and
    # written into its config.yaml (so `resume` rebuilds the same requests). An int fixes it,
    # for reproducible experiments.
    run_seed: int | None = None
    # How each request picks its in-context examples (generators/example_sampling.py):
    # `novelty` favours seed tasks and accepted rows whose (verb, object) kind the pool has
    # least of; `uniform` is Self-Instruct's uniform draw from the seeds and this run's new
    # instructions, so a fixed run_seed replays a night's requests whatever the pool holds.
    example_sampling: Literal["novelty", "uniform"] = "novelty"
    instruction_sampling: Sampling = Sampling(temperature=0.9, top_p=0.95, max_tokens=320)
    instance_sampling: Sampling = Sampling(temperature=0.7, top_p=0.95, max_tokens=200)
    # Teachers for the requests of one language (the language their examples share), e.g.
    # {ko: {model: ..., mode: base}}; other requests go to `teacher`. None: automatic, which
    # is {} except with the embedded chat teacher in-process (vllm, transformers), whose
    # Korean is broken Hangul: then Korean requests go to the embedded multilingual base
    # model (EMBEDDED_STUDENT) in base mode, which writes grammatical Korean (measured:
    # README "Korean"). {} sends every request to `teacher`.
    language_teachers: dict[str, TeacherConfig] | None = None

    @field_validator("language_teachers")
    @classmethod
    def _known_languages(cls, teachers: dict[str, TeacherConfig] | None) -> dict[str, TeacherConfig] | None:
        for code in teachers or {}:
            problem = unknown_language(code)
            if problem:
                raise ValueError(problem)
        return teachers

    def teachers_by_language(self) -> dict[str, TeacherConfig]:
        """`language_teachers` resolved: the teacher of each language that has its own."""
        if self.language_teachers is not None:
            return dict(self.language_teachers)
        # In-process engines only: an OpenAI-compatible server serves the model it serves.
        if self.teacher.model == EMBEDDED_TEACHER and self.teacher.mode == "chat" and self.teacher.backend != "openai":
            return {"ko": self.teacher.model_copy(update={"model": EMBEDDED_STUDENT, "mode": "base"})}
        return {}

    def teacher_for(self, language: str | None) -> TeacherConfig:
        """The teacher that answers requests in `language` (None or "": `teacher`)."""
        return self.teachers_by_language().get(language or "", self.teacher)
