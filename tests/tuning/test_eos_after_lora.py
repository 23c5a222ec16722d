"""A short real LoRA run teaches the base student to stop: answers end with EOS."""

from __future__ import annotations

import pytest

from core import runtime_env
from core.config import TuneConfig
from core.fingerprints import rows_fingerprint as fingerprint
from core.models import resolve_model
from core.paths import DEFAULT_EVAL_SET, DEFAULT_SEEDS
from core.records import load_tasks
from evals.answers import generate_transformers
from tuning.data import as_messages
from tuning.train import read_adapter_info, train

pytestmark = pytest.mark.slow


def test_lora_run_ends_answers_with_eos(tmp_path):
    runtime_env.configure(tmp_path)
    student = resolve_model("embedded:gemma-3-270m")
    rows = [{"id": t.id, "messages": as_messages(t.instruction, i.input, i.output)}
            for t in load_tasks(DEFAULT_SEEDS) for i in t.instances]
    # Short answers teach stopping as well as long ones and cost less per step.
    rows = [r for r in rows if len(r["messages"][-1]["content"]) <= 400]
    cfg = TuneConfig(max_steps=12, batch_size=4, learning_rate=5e-4, max_length=192)
    info = train(cfg, student, rows, tmp_path / "adapter", fingerprint(rows), "embedded:gemma-3-270m")
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    assert read_adapter_info(tmp_path / "adapter")["data_fingerprint"] == fingerprint(rows)
    assert len(info["loss_curve"]) == 12
    prompts = [[{"role": "user", "content": t.instruction + (f"\n\n{t.instances[0].input}" if t.instances[0].input else "")}]
               for t in load_tasks(DEFAULT_EVAL_SET)[:8]]
    answers = generate_transformers(student, prompts, {"base": None, "tuned": tmp_path / "adapter"}, 64)
    base_eos = sum(a.finish_reason == "stop" for a in answers["base"])
    tuned_eos = sum(a.finish_reason == "stop" for a in answers["tuned"])
    print(f"\nEOS: base {base_eos}/{len(prompts)}, tuned {tuned_eos}/{len(prompts)}; {len(rows)} examples, "
          f"{info['train_runtime_s']} s training")
    # The base model runs on to the token limit; the tuned one learned to emit EOS.
    assert tuned_eos >= 6, [a.text for a in answers["tuned"]]
    assert tuned_eos > base_eos
