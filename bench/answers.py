"""The student answering the eval set (transformers backend): batching before and now, same run.

    .venv/bin/python bench/answers.py                       # 32 eval items, 32 new tokens
    .venv/bin/python bench/answers.py --items 158 --max-tokens 96   # the evaluate stage's size

Baseline: the prompts in their file order, 8 per generate() call (evals/answers.py before
2026-12-07). Now: `generate_transformers`, length-sorted batches of ANSWER_BATCH. Both on the
embedded student base, greedy, bf16, in this process. Prints both times, the ratio and how
many answers differ (bf16 numerics move with a batch's padding; the answer cache's version
moved with the batching for that reason).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.models import resolve_model  # noqa: E402
from core.paths import DEFAULT_EVAL_SET  # noqa: E402
from core.records import load_tasks  # noqa: E402
from evals.answers import ANSWER_BATCH, _tokenizer, generate_transformers  # noqa: E402


def baseline(base: str, prompts: list, max_tokens: int) -> list[str]:
    """The loop as it was: file order, 8 prompts per call."""
    import torch
    from transformers import AutoModelForCausalLM

    tok = _tokenizer(base)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16).eval()
    texts = []
    for start in range(0, len(prompts), 8):
        enc = tok.apply_chat_template(prompts[start : start + 8], add_generation_prompt=True, return_tensors="pt",
                                      padding=True, return_dict=True)
        with torch.inference_mode():
            gen = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        for row in gen[:, enc["input_ids"].shape[1]:].tolist():
            kept = row[: row.index(tok.eos_token_id)] if tok.eos_token_id in row else row
            texts.append(tok.decode(kept, skip_special_tokens=True).strip())
    return texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=32)
    args = ap.parse_args()
    base = resolve_model("embedded:gemma-3-270m")
    tasks = load_tasks(DEFAULT_EVAL_SET)[: args.items]
    prompts = [[{"role": "user", "content": t.instruction + (f"\n\n{t.instances[0].input}" if t.instances[0].input
                                                              else "")}] for t in tasks]
    started = time.perf_counter()
    before = baseline(base, prompts, args.max_tokens)
    before_s = time.perf_counter() - started
    started = time.perf_counter()
    now = [a.text for a in generate_transformers(base, prompts, {"base": None}, args.max_tokens)["base"]]
    now_s = time.perf_counter() - started
    differ = sum(a != b for a, b in zip(before, now))
    print(f"{len(prompts)} prompts, {args.max_tokens} new tokens: file order x 8 {before_s:.1f} s; "
          f"length-sorted x {ANSWER_BATCH} {now_s:.1f} s; {before_s / now_s:.2f}x faster; "
          f"{differ} of {len(prompts)} answers differ")


if __name__ == "__main__":
    main()
