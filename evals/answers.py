"""The student answering held-out prompts, with or without a LoRA adapter, and its held-out loss.

Base model, champion and candidate answer the same items with the same greedy decoding and
token limit, through one engine: vLLM in-process (adapters as `LoRARequest`s on one engine) or
transformers (peft). Both format prompts with the student's chat template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.chat_template import ensure_chat_template
from core.errors import GerminateError
from core.token_nll import head_nlls


@dataclass
class Answer:
    text: str
    finish_reason: str  # "stop" (ended with EOS) or "length" (ran to max_tokens)
    tokens: int


def _signature(model_path: str) -> tuple:
    from transformers import AutoConfig

    c = AutoConfig.from_pretrained(model_path).get_text_config()
    return (c.model_type, c.hidden_size, c.num_hidden_layers, c.vocab_size)


def check_adapter(adapter: Path, base_path: str) -> None:
    """Refuse an adapter trained on another base model instead of silently misapplying it."""
    import json

    cfg_path = Path(adapter) / "adapter_config.json"
    if not cfg_path.exists():
        raise GerminateError(f"not a LoRA adapter directory (no adapter_config.json): {adapter}")
    trained_on = json.loads(cfg_path.read_text())["base_model_name_or_path"]
    if trained_on == base_path or (Path(trained_on).exists() and Path(trained_on).resolve() == Path(base_path).resolve()):
        return
    if not Path(trained_on).exists() or _signature(trained_on) != _signature(base_path):
        raise GerminateError(f"adapter {adapter} was trained on {trained_on}, not on {base_path}")


# The LoRA rank the student's vLLM engine is started with (vLLM takes 1, 8, 16, 32, ...): the
# preflight rejects a `tune.lora.r` above it before anything is trained.
STUDENT_LORA_RANK = 8


def generate_vllm(base_path: str, prompts: list[list[dict]], adapters: dict[str, Path | None],
                  max_tokens: int, lora_rank: int = STUDENT_LORA_RANK) -> dict[str, list[Answer]]:
    """Every named model (None = the base) answers every prompt through one vLLM engine."""
    import torch
    from vllm import LLM, SamplingParams
    from vllm.lora.request import LoRARequest

    key = (base_path, max(lora_rank, STUDENT_LORA_RANK))
    if key not in _ENGINES:
        kwargs = {} if torch.cuda.is_available() else {
            "enforce_eager": True, "enable_chunked_prefill": False, "max_num_batched_tokens": 2048}
        # Kept for the life of the process: deleting an in-process vLLM engine tears down
        # global parallel state that the teacher's engine still uses.
        _ENGINES[key] = LLM(model=base_path, dtype="bfloat16", max_model_len=2048, seed=0,
                            enable_lora=True, max_lora_rank=key[1], **kwargs)
    llm = _ENGINES[key]
    params = SamplingParams(temperature=0.0, max_tokens=max_tokens)
    out: dict[str, list[Answer]] = {}
    for i, (name, adapter) in enumerate(adapters.items()):
        # LoRA ids must be unique per adapter path for the engine's adapter cache.
        lora = LoRARequest(name, _lora_id(str(adapter)), str(adapter)) if adapter else None
        results = llm.chat(prompts, sampling_params=params, lora_request=lora, use_tqdm=False)
        out[name] = [Answer(r.outputs[0].text.strip(), r.outputs[0].finish_reason or "length",
                            len(r.outputs[0].token_ids)) for r in results]
    return out


_ENGINES: dict = {}
_LORA_IDS: dict[str, int] = {}


def _lora_id(path: str) -> int:
    return _LORA_IDS.setdefault(path, len(_LORA_IDS) + 1)


# Prompts per generate() call. Sorted by length and 32 at a time: 3.8x faster than 8 in the
# given order (bench/answers.py: 32 eval prompts, 32 new tokens, 21.0 -> 5.5 s on 2 cores),
# since left padding wastes less and the per-step Python overhead is paid a quarter as often.
# Greedy answers depend on the batch's padding through bf16 numerics (6 of 32 differed), so
# the answer cache's CACHE_VERSION moved with this.
ANSWER_BATCH = 32


def generate_transformers(base_path: str, prompts: list[list[dict]], adapters: dict[str, Path | None],
                          max_tokens: int, batch_size: int = ANSWER_BATCH) -> dict[str, list[Answer]]:
    """Every named model (None = the base) answers every prompt, greedy, in the prompts' order."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    tok = _tokenizer(base_path)
    tok.padding_side = "left"  # generation continues after the prompt's last real token
    lengths = [len(tok.apply_chat_template(p, add_generation_prompt=True)) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: (lengths[i], i))
    out: dict[str, list[Answer]] = {}
    for name, adapter in adapters.items():
        model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.bfloat16)
        if adapter:
            model = PeftModel.from_pretrained(model, str(adapter))
        model.eval()
        answers: dict[int, Answer] = {}
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            enc = tok.apply_chat_template([prompts[i] for i in part], add_generation_prompt=True,
                                          return_tensors="pt", padding=True, return_dict=True)
            with torch.inference_mode():
                gen = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id)
            for i, row in zip(part, gen[:, enc["input_ids"].shape[1]:].tolist()):
                ended = tok.eos_token_id in row
                kept = row[: row.index(tok.eos_token_id)] if ended else row
                answers[i] = Answer(tok.decode(kept, skip_special_tokens=True).strip(),
                                    "stop" if ended else "length", len(kept))
        out[name] = [answers[i] for i in range(len(prompts))]
        del model
    return out


def heldout_losses(base_path: str, conversations: list[list[dict]], adapter: Path | None) -> list[tuple[float, int]]:
    """Per item: (summed token NLL, token count) of the reference response, its EOS included,
    prompt tokens masked. The held-out loss is sum(NLL) / sum(tokens) over the items.

    fp32, as the gate's figures always were. The body runs once per item with the adapter's
    layers in place, and the vocabulary projection only on the response's positions
    (core/token_nll.py): the prompt's logits were computed and thrown away before, 1 MB per
    token (1.5x faster on the 158-item eval set, same loss to 1e-4)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    tok = _tokenizer(base_path)
    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
    if adapter:
        model = PeftModel.from_pretrained(model, str(adapter)).get_base_model()  # LoRA layers in place
    model.eval()
    softcap = getattr(model.config.get_text_config(), "final_logit_softcapping", None)
    head = _head_weight(model.get_output_embeddings())
    losses: list[tuple[float, int]] = []
    for conv in conversations:
        full = tok.apply_chat_template(conv, tokenize=True, return_dict=True)["input_ids"]
        prompt = tok.apply_chat_template(conv[:-1], tokenize=True, add_generation_prompt=True,
                                         return_dict=True)["input_ids"]
        first = max(len(prompt), 1)  # the first scored position; position p is predicted at p - 1
        if first >= len(full):
            losses.append((0.0, 0))
            continue
        ids = torch.tensor([full])
        with torch.inference_mode():
            hidden = model.base_model(input_ids=ids).last_hidden_state[0]
            nll = head_nlls(hidden[first - 1 : -1], ids[0, first:], head, softcap)
        losses.append((float(nll.sum()), len(full) - first))
    del model
    return losses


def _head_weight(head: Any) -> Any:
    """The output projection's weight as the model applies it: a LoRA on lm_head adds its
    delta here. (Merging the adapter instead would be wrong for gemma: its lm_head is tied to
    the input embeddings, so a merged head delta would change the embeddings too.)"""
    if hasattr(head, "base_layer") and hasattr(head, "get_delta_weight"):
        weight = head.base_layer.weight
        for name in head.active_adapters:
            if name in getattr(head, "lora_A", {}):
                weight = weight + head.get_delta_weight(name)
        return weight
    return head.weight


_TOKENIZERS: dict = {}


def _tokenizer(base_path: str) -> Any:
    """The student's tokenizer, loaded once per process: gemma's 262k-token tokenizer.json
    takes ~2.5 s to parse, and an evaluation asked for it three times."""
    from transformers import AutoTokenizer

    if base_path not in _TOKENIZERS:
        tok = AutoTokenizer.from_pretrained(base_path)
        ensure_chat_template(tok)
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        _TOKENIZERS[base_path] = tok
    return _TOKENIZERS[base_path]
