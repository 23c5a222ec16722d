"""Load: one round of several hundred concurrent requests against a real vLLM server.

Every request must come back accounted for (its reply, with the number of tries it took) and
memory must stay bounded on both sides. It needs a few minutes of CPU, so it runs under
`make soak` (GERMINATE_LOAD_REQUESTS=400) and is skipped otherwise.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path

import psutil
import pytest

from core import runtime_env
from core.config import GenerateConfig, Sampling, TeacherConfig
from core.records import load_tasks
from generators import self_instruct as si
from generators.openai_client import OpenAITeacher
from generators.serve import vllm_servers

N = int(os.environ.get("GERMINATE_LOAD_REQUESTS", "0"))
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(N <= 0, reason="load test: set GERMINATE_LOAD_REQUESTS (make soak does)")]


class PeakRSS:
    """Samples the resident memory of a process tree every 0.5 s in a thread."""

    def __init__(self, pid: int) -> None:
        self.proc, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            self._stop.wait(0.5)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _server_pid(port: int) -> int:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return conn.pid
    raise AssertionError(f"no process listens on port {port}")


def test_hundreds_of_concurrent_requests_are_all_accounted_for(tmp_path: Path):
    runtime_env.configure(tmp_path)
    cfg = GenerateConfig(teacher=TeacherConfig(backend="openai", max_concurrency=256, timeout_s=600,
                                               max_retries=3))
    seeds = load_tasks(cfg.seeds)
    # Real Self-Instruct prompts (8 examples each), short answers: the load is the concurrency.
    requests = si.instruction_requests(seeds, [], cfg, 0, N)
    sampling = Sampling(temperature=0.9, top_p=0.95, max_tokens=24)
    with vllm_servers(cfg.teacher, 1, log_paths=[tmp_path / "server.log"], startup_timeout_s=900) as (url,):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        teacher = OpenAITeacher(cfg.teacher.model_copy(update={"base_url": url}))
        client_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with PeakRSS(_server_pid(port)) as server_mem:
            replies = teacher.complete([r.messages for r in requests], sampling, [r.seed for r in requests],
                                       schema=None)
        seconds = time.perf_counter() - started
        client_growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - client_before) / 1024

    assert len(replies) == N
    assert all(r.completion_tokens > 0 and r.finish_reason in ("stop", "length") for r in replies)
    retried = sum(r.attempts > 1 for r in replies)
    tokens = sum(r.completion_tokens for r in replies)
    print(f"\nload: {N} requests, 256 in flight, all answered in {seconds:.1f} s "
          f"({tokens / seconds:.0f} tokens/s), retried {retried}, failed 0; "
          f"server peak RSS {server_mem.peak / 2**30:.2f} GiB, client RSS growth {client_growth_mib:.0f} MiB")
    # Bounded: the server's KV cache is fixed (VLLM_CPU_KVCACHE_SPACE), the client holds replies only.
    assert server_mem.peak < 10 * 2**30
    assert client_growth_mib < 512
