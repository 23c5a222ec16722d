"""LoRA supervised fine-tuning of the student, shaped like TRL's `trl/scripts/sft.py`.

    germinate tune RUN                      # train on the pool + seeds, adapter in RUN/adapter
    germinate tune RUN --set tune.loss_on=full --set tune.max_steps=60

Build a peft `LoraConfig` and TRL `SFTConfig`, hand both to `SFTTrainer`, train, save. The
student's chat template (germinate's own for a base model, `core.chat_template`) formats the
data here and at evaluation and serving. Precision: bf16 on GPU; on CPU bf16 autocast with
padding only to the longest example of each batch, measured ~5x faster than fp32 padded to 256
on our 2-core machines (shared/PLATFORM_NOTES.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from core import console_logging
from core.chat_template import ensure_chat_template
from core.config import TuneConfig
from core.errors import GerminateError
from core.store import atomic_dir, atomic_write_json


def load_student(model_path: str):
    """Tokenizer (with a chat template) and model of the student."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_path)
    ensure_chat_template(tok)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype)
    return tok, model


def sft_config(cfg: TuneConfig, output_dir: Path):
    import torch
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(output_dir),
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=min(3, cfg.max_steps // 5),
        max_length=cfg.max_length,
        packing=cfg.packing,
        gradient_checkpointing=cfg.gradient_checkpointing,
        assistant_only_loss=cfg.loss_on == "response",
        # bf16 autocast works on CPU too and is the fastest stable choice measured there.
        bf16=True,
        use_cpu=not torch.cuda.is_available(),
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=cfg.seed,
        dataset_num_proc=None,
        disable_tqdm=False,
    )


def build_trainer(cfg: TuneConfig, model_path: str, rows: list[dict], output_dir: Path):
    """An `SFTTrainer` ready to train (exposed so tests can inspect labels before training)."""
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTTrainer

    tok, model = load_student(model_path)
    lora = LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM")
    dataset = Dataset.from_list([{"messages": r["messages"]} for r in rows])
    return SFTTrainer(model=model, args=sft_config(cfg, output_dir), train_dataset=dataset,
                      processing_class=tok, peft_config=lora, callbacks=[step_reporter()])


def step_reporter():
    """A trainer callback putting the steps on the stage line (TRL's own bar goes to the log)."""
    from transformers import TrainerCallback

    class StepReport(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            console_logging.report(state.global_step, state.max_steps)

    return StepReport()


def train(cfg: TuneConfig, model_path: str, rows: list[dict], adapter_dir: Path,
          fingerprint: str, base_model_name: str) -> dict:
    """Train and save the adapter (+ tokenizer with its template, loss curve, fingerprint)."""
    adapter_dir = Path(adapter_dir)
    with atomic_dir(adapter_dir) as tmp:
        trainer = build_trainer(cfg, model_path, rows, tmp / "_trainer")
        result = trainer.train()
        trainer.model.save_pretrained(str(tmp))
        trainer.processing_class.save_pretrained(str(tmp))
        losses = [{"step": h["step"], "loss": h["loss"]} for h in trainer.state.log_history if "loss" in h]
        if not losses:
            raise GerminateError("training logged no loss: nothing was trained")
        info = {
            "base_model": base_model_name,
            "base_model_path": model_path,
            "data_fingerprint": fingerprint,
            "examples": len(rows),
            "loss_on": cfg.loss_on,
            "steps": result.global_step,
            "train_runtime_s": round(result.metrics.get("train_runtime", 0.0), 1),
            "loss_curve": losses,
            "config": cfg.model_dump(mode="json"),
            "config_fingerprint": config_fingerprint(cfg),
        }
        atomic_write_json(tmp / "germinate_adapter.json", info)
        import shutil

        shutil.rmtree(tmp / "_trainer", ignore_errors=True)
    return info


# Settings that decide whether to train, not what is trained: a change retrains nothing.
NOT_TRAINING = frozenset({"skip_when_nothing_kept"})


def _flat(settings: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif f"{prefix}{key}" not in NOT_TRAINING:
            out[f"{prefix}{key}"] = value
    return out


def config_fingerprint(cfg: TuneConfig | dict) -> str:
    """A short hash of the settings that shape an adapter (`NOT_TRAINING` left out)."""
    settings = _flat(cfg.model_dump(mode="json") if isinstance(cfg, TuneConfig) else cfg)
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def settings_changes(recorded: dict | None, cfg: TuneConfig) -> list[str]:
    """`key: old -> new` for each training setting `cfg` asks for that differs from the one an
    adapter was trained with (`recorded`, its `config`); none when nothing is recorded (an
    adapter from before settings were recorded is taken as it is)."""
    if not recorded:
        return []
    old, new = _flat(recorded), _flat(cfg.model_dump(mode="json"))
    return [f"{key}: {old.get(key)} -> {new[key]}" for key in new if old.get(key) != new[key]]


def read_adapter_info(adapter_dir: Path) -> dict:
    path = Path(adapter_dir) / "germinate_adapter.json"
    if not path.exists():
        cfg = Path(adapter_dir) / "adapter_config.json"
        if not cfg.exists():
            raise GerminateError(f"not a LoRA adapter directory: {adapter_dir}")
        return {"base_model_path": json.loads(cfg.read_text())["base_model_name_or_path"]}
    return json.loads(path.read_text(encoding="utf-8"))
