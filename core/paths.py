"""Where things live: the repository's shipped files, the data root and the model cache."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO_ROOT / "seeds"
DEFAULT_SEEDS = SEEDS_DIR / "tasks.jsonl"
DEFAULT_EVAL_SET = SEEDS_DIR / "eval.jsonl"


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    """`--data-root`, else `$GERMINATE_HOME`, else `./germinate-data`."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("GERMINATE_HOME")
    return Path(env).expanduser().resolve() if env else Path("germinate-data").resolve()


def cache_dir() -> Path:
    """Converted models and engine caches: `$GERMINATE_CACHE`, else the user cache dir."""
    env = os.environ.get("GERMINATE_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "germinate"
