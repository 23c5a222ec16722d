"""Fluency and IFD under a reference LM: mean token NLLs from two forward passes per row.

Per row, pass A reads `instruction + input + output` and gives the instruction's mean NLL
(fluency) and the output's mean NLL given its task; pass B reads `input + output` and gives
the output's NLL without the instruction. IFD (Li et al. 2023, "From Quantity to Quality",
Cherry-LLM) is A's output NLL over B's: near 1, the instruction does not help predict the
answer. Cherry-LLM's denominator is the output alone; keeping the input in B asks whether
the *instruction* fits, which catches the teacher's commonest mismatch: a seed's input and
label pasted under an unrelated instruction (the input alone predicts the label).

Cost on CPU is the vocabulary projection: gemma-3-270m has 262,144 tokens, so its lm_head
(640 x 262k) costs more per token than its 18 layers. So: the body runs on every token, the
lm_head only on the scored positions (instruction and output, never the input), in
cache-sized tiles with an online log-sum-exp (`head_nlls`); fields are cut to
`max_field_tokens` (means need no more, and the instruction's effect on the answer is in its
first tokens); sequences are length-sorted so batches carry little padding; bf16 weights (2x
fp32 on this CPU, measured). The model loads once per curation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.token_nll import head_nlls

# Between instruction, input and output: a plain blank line. A base model knows no chat
# template, and a blank line between a request and its answer is what web text has.
SEPARATOR = "\n\n"
# Shorter outputs get no output-fluency score (see `scores_from_nlls`).
MIN_OUTPUT_TOKENS = 8


@dataclass
class _Seq:
    row: int
    ids: list[int]
    spans: list[tuple[str, int, int]]  # (group, first, end) positions whose tokens are scored
    pool: bool = False  # the whole row (pass A): its hidden states feed the quality classifier


class ReferenceLM:
    """A causal LM that scores rows; `load` once per curation, then `score` batches."""

    def __init__(self, model: Any, tokenizer: Any, max_field_tokens: int = 96, batch_size: int = 16) -> None:
        self.model, self.tok = model, tokenizer
        self.max_field_tokens, self.batch_size = max_field_tokens, batch_size
        self._sep = tokenizer(SEPARATOR, add_special_tokens=False)["input_ids"]
        bos = tokenizer.bos_token_id
        self._start = [bos] if bos is not None else []
        self._softcap = getattr(model.config.get_text_config(), "final_logit_softcapping", None)

    @classmethod
    def load(cls, path: str, max_field_tokens: int = 96, batch_size: int = 16) -> ReferenceLM:
        """Load the model (bf16, eval mode) and its tokenizer from a local dir or HF id."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16)
        model.eval()
        return cls(model, tok, max_field_tokens, batch_size)

    def _ids(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"][: self.max_field_tokens]

    def _sequences(self, i: int, instruction: str, input: str, output: str, ifd: bool) -> list[_Seq]:
        ins, out = self._ids(instruction), self._ids(output)
        inp = self._ids(input) + self._sep if input.strip() else []
        a = self._start + ins + self._sep + inp
        first_out = len(a)
        seqs = [_Seq(i, a + out, [("instruction", len(self._start), len(self._start) + len(ins)),
                                  ("output", first_out, first_out + len(out))], pool=True)]
        if ifd:
            b = self._start + inp
            seqs.append(_Seq(i, b + out, [("output_alone", len(b), len(b) + len(out))]))
        return seqs

    def score(self, rows: Sequence[tuple[str, str, str]], ifd: bool = True) -> list[dict[str, float]]:
        """Scores for each (instruction, input, output) (`scores_from_nlls`); {} for a row with
        a blank instruction or output."""
        return [scores_from_nlls(groups) for groups in self.token_nlls(rows, ifd)]

    def token_nlls(self, rows: Sequence[tuple[str, str, str]], ifd: bool = True) -> list[dict[str, list[float]]]:
        """Per row, the NLL of every scored token by group: "instruction", "output" (given the
        instruction and input) and, with `ifd`, "output_alone" (given the input only)."""
        return self.nlls_and_features(rows, ifd)[0]

    def nlls_and_features(self, rows: Sequence[tuple[str, str, str]], ifd: bool = True,
                          pool_layer: int | None = None) -> tuple[list[dict[str, list[float]]], list[list[float] | None]]:
        """`token_nlls`, and with `pool_layer` each row's hidden states at that layer (0 = the
        embeddings) averaged over all of `instruction + input + output`: the quality
        classifier's features, from the same forward pass (None for a blank row)."""
        seqs: list[_Seq] = []
        for i, (instruction, input, output) in enumerate(rows):
            if instruction.strip() and output.strip():
                seqs += self._sequences(i, instruction, input, output, ifd)
        out: list[dict[str, list[float]]] = [{} for _ in rows]
        features: list[list[float] | None] = [None for _ in rows]
        order = sorted(range(len(seqs)), key=lambda k: len(seqs[k].ids))
        for start in range(0, len(order), self.batch_size):
            batch = [seqs[k] for k in order[start : start + self.batch_size]]
            nlls, pooled = self._batch_nll(batch, pool_layer)
            for (i, group), values in nlls.items():
                out[i][group] = values
            for i, vector in pooled.items():
                features[i] = vector
        return out, features

    def _body(self, ids: Any, mask: Any, pool_layer: int | None) -> tuple[Any, Any]:
        """The body's output and, with `pool_layer`, the hidden states at that layer (0 = the
        embeddings, i = the output of decoder layer i - 1, the last after the final norm, as
        `output_hidden_states` numbers them). An inner layer is read with a forward hook:
        asking for every layer's states held 19 of them per batch (~150 MB at the peak of
        1,000 rows, bench/quality.py --speed) to keep one."""
        layers = getattr(self.model.base_model, "layers", None)
        if pool_layer is None or layers is None or not 0 < pool_layer < len(layers):
            body = self.model.base_model(input_ids=ids, attention_mask=mask, output_hidden_states=pool_layer is not None)
            return body, None if pool_layer is None else body.hidden_states[pool_layer]
        seen: list[Any] = []
        hook = layers[pool_layer - 1].register_forward_hook(
            lambda _module, _args, out: seen.append(out[0] if isinstance(out, tuple) else out))
        try:
            body = self.model.base_model(input_ids=ids, attention_mask=mask)
        finally:
            hook.remove()
        return body, seen[0]

    def _batch_nll(self, batch: list[_Seq], pool_layer: int | None = None
                   ) -> tuple[dict[tuple[int, str], list[float]], dict[int, list[float]]]:
        """Token NLLs per (row, group), in order, and the pooled features per row, for one
        padded batch."""
        import torch

        width = max(len(s.ids) for s in batch)
        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else 0
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        where: list[tuple[int, int]] = []  # (batch row, position) of each scored token
        owner: list[tuple[int, str]] = []
        for b, s in enumerate(batch):
            ids[b, : len(s.ids)] = torch.tensor(s.ids)
            mask[b, : len(s.ids)] = 1
            for group, first, end in s.spans:
                for p in range(max(first, 1), end):
                    where.append((b, p))
                    owner.append((s.row, group))
        out: dict[tuple[int, str], list[float]] = {}
        pooled: dict[int, list[float]] = {}
        if not where:
            return out, pooled
        with torch.inference_mode():
            body, layer = self._body(ids, mask, pool_layer)
            hidden = body.last_hidden_state
            if layer is not None:
                layer = layer.float()
                for b, s in enumerate(batch):
                    if s.pool:  # right padding: a row's own positions are its first len(ids)
                        pooled[s.row] = layer[b, : len(s.ids)].mean(0).tolist()
            rows_idx = torch.tensor([b for b, _ in where])
            pos = torch.tensor([p for _, p in where])
            # Position p is predicted from the hidden state at p - 1.
            states = hidden[rows_idx, pos - 1]
            targets = ids[rows_idx, pos]
            nll = head_nlls(states, targets, self.model.get_output_embeddings().weight, self._softcap)
        for key, value in zip(owner, nll.tolist()):
            if math.isfinite(value):
                out.setdefault(key, []).append(value)
        return out, pooled


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def scores_from_nlls(groups: dict[str, list[float]]) -> dict[str, float]:
    """A row's scores from its token NLLs (pure, so thresholds and definitions are testable
    without a model):

    - `fluency.instruction_nll`: mean over the instruction's tokens after the first. The first
      token's NLL given only <bos> says how common the opening word is, not whether the text
      is fluent, and in a 5-token instruction it would weigh a fifth.
    - `fluency.output_nll`: mean over the output's tokens given instruction and input, only
      for outputs of at least MIN_OUTPUT_TOKENS: a one-word label ("spam", "Au", "0도") has no
      fluency to measure, and its NLL is mostly which of the possible answers it is.
    - `ifd.ratio`: mean output NLL given instruction and input over the same without the
      instruction (every output token).
    """
    scores: dict[str, float] = {}
    ins = groups.get("instruction", [])
    value = _mean(ins[1:] or ins)
    if value is not None:
        scores["fluency.instruction_nll"] = round(value, 4)
    out = groups.get("output", [])
    if len(out) >= MIN_OUTPUT_TOKENS:
        scores["fluency.output_nll"] = round(_mean(out), 4)
    alone = _mean(groups.get("output_alone", []))
    if out and alone:
        scores["ifd.ratio"] = round(_mean(out) / alone, 4)
    return scores
