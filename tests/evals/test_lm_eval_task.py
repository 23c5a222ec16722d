"""lm-evaluation-harness, for real: the `lm-eval` CLI (pinned in pyproject) runs germinate's
local task (evals/lm_eval_task) on a LoRA adapter trained here with real peft/TRL, offline.

The command is LM_EVAL, the one NOTES_FOR_README.md gives users, with `--limit` and a short
`max_gen_toks` so that CPU CI can afford it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TASK_DIR = REPO / "evals" / "lm_eval_task"
EVAL_SMALL = REPO / "tests" / "data" / "eval_small.jsonl"
# The README command (BASE, ADAPTER, OUT filled in), plus the test's limits.
LM_EVAL = ("lm-eval run --model hf --model_args pretrained={BASE},peft={ADAPTER},dtype=bfloat16 "
           "--include_path evals/lm_eval_task --tasks germinate_eval --apply_chat_template "
           "--device cpu --batch_size 8 --output_path {OUT} --log_samples")
LIMITS = ["--limit", "4", "--gen_kwargs", "max_gen_toks=16",
          "--metadata", json.dumps({"eval_set": str(EVAL_SMALL)})]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    from core.config import TuneConfig
    from core.models import resolve_model
    from core.paths import DEFAULT_SEEDS
    from core.records import load_tasks
    from tuning.data import as_messages
    from tuning.train import train

    cfg = TuneConfig(max_steps=2, batch_size=2, max_length=128)
    rows = [{"id": t.id, "messages": as_messages(t.instruction, i.input, i.output)}
            for t in load_tasks(DEFAULT_SEEDS, "seed")[:4] for i in t.instances]
    path = tmp_path_factory.mktemp("lm_eval") / "adapter"
    train(cfg, resolve_model(cfg.student), rows, path, "lm-eval-test", cfg.student)
    return path


def _parameters(files) -> int:
    """Parameter count of safetensors files, from their headers."""
    from safetensors import safe_open

    total = 0
    for f in files:
        with safe_open(str(f), "pt") as weights:
            total += sum(math.prod(weights.get_slice(k).get_shape()) for k in weights.keys())
    return total


def test_lm_eval_runs_the_local_task_on_a_tuned_adapter(adapter, tmp_path):
    from core.models import resolve_model

    base = resolve_model("embedded:gemma-3-270m")
    out = tmp_path / "out"
    command = LM_EVAL.format(BASE=base, ADAPTER=adapter, OUT=out).split() + LIMITS
    command[0] = str(Path(sys.executable).with_name("lm-eval"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_HOME": str(tmp_path / "hf"), "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    [results_file] = out.rglob("results_*.json")
    results = json.loads(results_file.read_text())
    metrics = results["results"]["germinate_eval"]
    for name in ("rouge_l", "prompt_level_strict_acc", "prompt_level_loose_acc",
                 "inst_level_strict_acc", "inst_level_loose_acc"):
        assert 0.0 <= metrics[f"{name},none"] <= 1.0, (name, metrics)
    assert metrics["prompt_level_loose_acc,none"] >= metrics["prompt_level_strict_acc,none"]
    assert results["n-samples"]["germinate_eval"]["effective"] == 4
    # The adapter was applied (peft): the model lm-eval ran has the base's parameters plus the LoRA ones.
    assert results["config"]["model_num_parameters"] == _parameters(Path(base).glob("*.safetensors")) + \
        _parameters([adapter / "adapter_model.safetensors"])
    [samples_file] = out.rglob("samples_germinate_eval_*.jsonl")
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert len(samples) == 4
    prompt = samples[0]["arguments"]["gen_args_0"]["arg_0"]
    # The student's chat template, one BOS, germinate's user prompt (instruction [+ input]).
    assert prompt.startswith("<bos><start_of_turn>user\n") and prompt.endswith("<start_of_turn>model\n")
    assert samples[0]["doc"]["instruction"] in prompt
    print(f"\nlm-eval on a 2-step adapter, 4 items: { {k: v for k, v in metrics.items() if 'stderr' not in k} }")
