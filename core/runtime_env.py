"""Process environment for the engines, set before Prefect, vLLM or transformers import.

Every value is a default: a user's own environment wins. Caches and temp files go under
germinate's cache and data root so nothing lands in the home or system temp directory, and
nothing tries to reach a hub or send analytics (the machines have no internet).
"""

from __future__ import annotations

import os
from pathlib import Path

from core.paths import cache_dir


def configure(data_root: Path) -> None:
    cache = cache_dir()
    prefect_home = Path(data_root) / ".prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "DO_NOT_TRACK": "1",
        "VLLM_NO_USAGE_STATS": "1",
        # vLLM on CPU: a 2 GiB KV cache fits the small models; reserving a core for the
        # frontend leaves one of our two cores idle.
        "VLLM_CPU_KVCACHE_SPACE": "2",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
        # An in-process vLLM engine drops torch to one thread unless OMP_NUM_THREADS is set.
        "OMP_NUM_THREADS": str(os.cpu_count() or 1),
        "VLLM_CACHE_ROOT": str(cache / "vllm"),
        "TORCHINDUCTOR_CACHE_DIR": str(cache / "inductor"),
        "TRITON_CACHE_DIR": str(cache / "triton"),
        "HF_HOME": str(cache / "hf"),
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_LOCAL_STORAGE_PATH": str(prefect_home / "storage"),
        "PREFECT_MEMO_STORE_PATH": str(prefect_home / "memo_store.toml"),
        "PREFECT_LOGGING_SETTINGS_PATH": str(prefect_home / "logging.yml"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The temporary server needs more than the default 20 s on a busy 2-core machine.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "VLLM_LOGGING_LEVEL": "WARNING",
        # Keep the engine core in this process. On 2 cores the separate engine and worker
        # processes fought over the CPU: one round took ~4 min instead of ~15 s in-process.
        "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    tmp = cache / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TMPDIR", str(tmp))
