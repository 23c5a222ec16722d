"""GPU throughput of the teacher-generation and LoRA-tuning paths, against the memory-bandwidth bound.

    python bench/gpu_throughput.py                  # Llama-3.2-1B-shaped model, random weights
    python bench/gpu_throughput.py --arch 3b --bandwidth-tbs 4.8

Nothing can be downloaded on the GPU machines, so the model is a real architecture with
randomly initialised weights: throughput does not depend on the weights' values. Decoding one
token reads every weight once, so at batch size B the ceiling is
B * bandwidth / weight_bytes tokens/s (KV-cache reads ignored, which flatters the bound slightly
at long contexts). The table prints measured tokens/s, that ceiling, and the fraction reached;
the batch-1 row is the baseline the other rows are compared with.
Needs only torch, transformers and peft (what the GPU image has).
"""

from __future__ import annotations

import argparse
import time

ARCHS = {  # hidden, layers, heads, kv heads, intermediate, vocab (Llama-3.2 shapes)
    "1b": (2048, 16, 32, 8, 8192, 128256),
    "3b": (3072, 28, 24, 8, 8192, 128256),
}


def build(arch: str):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden, layers, heads, kv, inter, vocab = ARCHS[arch]
    cfg = LlamaConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      num_key_value_heads=kv, intermediate_size=inter, vocab_size=vocab,
                      max_position_embeddings=4096, tie_word_embeddings=True)
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg).to(dtype=torch.bfloat16, device="cuda").eval()


def decode_rows(model, batches: list[int], prompt_len: int, new_tokens: int, bw: float) -> list[tuple]:
    import torch

    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    rows = []
    for b in batches:
        ids = torch.randint(10, 1000, (b, prompt_len), device="cuda")
        model.generate(ids, max_new_tokens=4, min_new_tokens=4, do_sample=False)  # warm-up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
        torch.cuda.synchronize()
        tps = b * new_tokens / (time.perf_counter() - t0)
        bound = b * bw / weight_bytes
        rows.append((b, tps, bound))
    return rows


def lora_row(model, batch: int, seq: int, steps: int) -> tuple[float, float]:
    import torch
    from peft import LoraConfig, get_peft_model

    model.train()
    peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM"))
    opt = torch.optim.AdamW([p for p in peft.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(10, 1000, (batch, seq), device="cuda")
    for i in range(steps + 2):
        if i == 2:  # two warm-up steps
            torch.cuda.synchronize()
            t0 = time.perf_counter()
        loss = peft(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    torch.cuda.synchronize()
    per_step = (time.perf_counter() - t0) / steps
    return per_step, batch * seq / per_step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=sorted(ARCHS), default="1b")
    ap.add_argument("--batches", default="1,8,32,128")
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--bandwidth-tbs", type=float, default=None,
                    help="HBM bandwidth in TB/s (default: H100 SXM 3.35, H200 4.8, by device name)")
    args = ap.parse_args()

    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this benchmark is for the GPU machines")
    name = torch.cuda.get_device_name(0)
    bw_tbs = args.bandwidth_tbs or (4.8 if "H200" in name else 3.35)
    model = build(args.arch)
    params = sum(p.numel() for p in model.parameters())
    print(f"device: {name}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB, "
          f"bandwidth bound {bw_tbs} TB/s; torch {torch.__version__}")
    print(f"model: Llama-{args.arch} shape, {params / 1e9:.2f}B params, bf16, random weights; "
          f"transformers generate, greedy, prompt {args.prompt_len}, {args.new_tokens} new tokens")
    rows = decode_rows(model, [int(b) for b in args.batches.split(",")], args.prompt_len,
                       args.new_tokens, bw_tbs * 1e12)
    base = rows[0][1]
    print(f"{'batch':>6}{'tokens/s':>11}{'bound tok/s':>13}{'of bound':>10}{'vs batch 1':>12}")
    for b, tps, bound in rows:
        print(f"{b:>6}{tps:>11.0f}{bound:>13.0f}{tps / bound:>9.1%}{tps / base:>11.1f}x")
    per_step, tok_s = lora_row(model, batch=8, seq=512, steps=10)
    print(f"LoRA r=8 all-linear, batch 8 x 512 tokens, bf16: {per_step:.3f} s/step, {tok_s:.0f} tokens/s, "
          f"peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()
