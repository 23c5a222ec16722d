"""evals/answers.py on a tiny random Gemma 3 with the embedded student's tokenizer and chat
template (no download; `make test` prepares the embedded models): the gate's held-out loss
(body once, tiled head on the response only) equals the loss transformers computes from full
logits with the prompt masked, with and without a LoRA adapter, lm_head included; answers
computed in length-sorted batches come back in the prompts' order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CONVERSATIONS = [
    [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."}],
    [{"role": "user", "content": "다음 문장을 영어로 번역해 주세요.\n\n안녕하세요"},
     {"role": "assistant", "content": "Hello, how are you today?"}],
    [{"role": "user", "content": "Add the numbers: 2 and 3"}, {"role": "assistant", "content": "5"}],
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from core.models import resolve_model

    student = Path(resolve_model("embedded:gemma-3-270m"))
    path = tmp_path_factory.mktemp("tiny-gemma")
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=262144, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=8)
    Gemma3ForCausalLM(config).save_pretrained(path)
    for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]:
        if (student / name).exists():
            shutil.copy(student / name, path / name)
    return path


def _reference(model, tok, conversations) -> list[tuple[float, int]]:
    """transformers' own masked loss, from full logits."""
    import torch

    out = []
    for conv in conversations:
        full = tok.apply_chat_template(conv, tokenize=True, return_dict=True)["input_ids"]
        prompt = tok.apply_chat_template(conv[:-1], tokenize=True, add_generation_prompt=True,
                                         return_dict=True)["input_ids"]
        ids = torch.tensor([full])
        labels = ids.clone()
        labels[0, : len(prompt)] = -100
        with torch.inference_mode():
            loss = model(input_ids=ids, labels=labels).loss
        n = int((labels[0, 1:] != -100).sum())
        out.append((float(loss) * n, n))
    return out


@pytest.mark.parametrize("targets", [None, ["q_proj", "v_proj", "lm_head"]])
def test_heldout_loss_equals_the_models_own_masked_loss(tiny, tmp_path, targets):
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    from evals.answers import _tokenizer, heldout_losses

    adapter = None
    if targets:
        # Random A and B (not peft's zero B), so the adapter changes every loss.
        torch.manual_seed(1)
        lora = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32),
                              LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False))
        adapter = tmp_path / "adapter"
        lora.save_pretrained(adapter)
    model = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32)
    if adapter:
        model = PeftModel.from_pretrained(model, str(adapter))
    expected = _reference(model.eval(), _tokenizer(str(tiny)), CONVERSATIONS)
    got = heldout_losses(str(tiny), CONVERSATIONS, adapter)
    assert [n for _, n in got] == [n for _, n in expected] and all(n > 0 for _, n in got)
    for (a, n), (b, _) in zip(got, expected):
        assert a / n == pytest.approx(b / n, abs=1e-4)
    if adapter:  # the adapter really moved the loss: a test that could not tell them apart is no test
        base = heldout_losses(str(tiny), CONVERSATIONS, None)
        assert all(abs(a - b) > 1e-3 for (a, _), (b, _) in zip(got, base))


def test_answers_come_back_in_the_prompts_order(tiny):
    # Batches are sorted by prompt length; one prompt per batch makes each answer its own
    # (no padding), so each must equal that prompt answered alone, whatever the sorting did.
    from evals.answers import generate_transformers

    prompts = [[{"role": "user", "content": text}] for text in
               ["A much longer request than the others, with several more words in it.", "Hi.",
                "다음 문장을 영어로 번역해 주세요.", "Name a colour."]]
    together = generate_transformers(str(tiny), prompts, {"base": None}, 6, batch_size=1)["base"]
    alone = [generate_transformers(str(tiny), [p], {"base": None}, 6)["base"][0] for p in prompts]
    assert together == alone and len({a.text for a in alone}) > 1
