"""Scale-out: shards of teacher requests and of row-level curation on Dask workers.

Prefect's `DaskTaskRunner` (prefect-dask) runs the flows' shard tasks on a Dask cluster: a
`LocalCluster` started here for `cluster.runner: dask`, or the scheduler at
`cluster.address`. Shards are cut by index and their results put back in index order, and
per-request seeds derive from (run seed, request index), so the outcome does not depend on how
many shards there were or which worker ran one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from core.config import ClusterConfig, TeacherConfig
from core.errors import GerminateError

T = TypeVar("T")


def shard_indices(n: int, shards: int) -> list[list[int]]:
    """Round-robin split of range(n) into at most `shards` non-empty lists.

    Round-robin rather than contiguous: consecutive requests of a round are alike in prompt
    and length, so interleaving balances the work between endpoints.
    """
    shards = max(1, min(shards, n))
    return [list(range(s, n, shards)) for s in range(shards)] if n else []


def merge_shards(parts: Sequence[Sequence[int]], results: Sequence[Sequence[T]], n: int) -> list[T]:
    """Put each shard's results back at their original indices; every index exactly once."""
    out: list[Any] = [None] * n
    seen = 0
    for idx, res in zip(parts, results, strict=True):
        if len(idx) != len(res):
            raise ValueError(f"a shard of {len(idx)} items returned {len(res)} results")
        for i, r in zip(idx, res):
            out[i] = r
        seen += len(idx)
    if seen != n:
        raise ValueError(f"shards covered {seen} of {n} items")
    return out


def shard_count(cluster: ClusterConfig, teacher: TeacherConfig | None = None) -> int:
    """One shard per teacher endpoint if several are listed, else one per Dask worker."""
    if teacher is not None and teacher.endpoints:
        return len(teacher.endpoints)
    return cluster.workers if cluster.runner == "dask" else 1


def teacher_for_shard(teacher: TeacherConfig, shard: int) -> TeacherConfig:
    """The teacher config a shard uses: its own endpoint when several are listed."""
    if not teacher.endpoints:
        return teacher
    url = teacher.endpoints[shard % len(teacher.endpoints)]
    return teacher.model_copy(update={"base_url": url, "endpoints": []})


def run_shards(task: Any, shards: list[list[int]], args_for: Callable[[int, list[int]], tuple]) -> list[Any]:
    """Submit `task(*args_for(s, idx))` for every shard to the flow's task runner; wait for all.

    With one shard the task runs inline: no thread or worker hop for the common case.
    """
    if len(shards) == 1:
        return [task(*args_for(0, shards[0]))]
    futures = [task.submit(*args_for(s, idx)) for s, idx in enumerate(shards)]
    return [f.result() for f in futures]


@contextmanager
def scheduler(cluster: ClusterConfig) -> Iterator[str | None]:
    """The Dask scheduler address to use while the block runs (None: no Dask).

    A LocalCluster is started once here and shared by the generate and curate flows, so its
    workers (and the teacher engines they load) live for the whole pipeline run.
    """
    if cluster.runner == "local":
        yield None
        return
    if cluster.address:
        yield cluster.address
        return
    try:
        from distributed import LocalCluster
    except ImportError:  # pragma: no cover - prefect-dask is a dependency
        raise GerminateError("cluster.runner=dask needs prefect-dask (pip install prefect-dask)") from None
    with LocalCluster(n_workers=cluster.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR,
                      env=_worker_env()) as local:
        yield local.scheduler_address


def _worker_env() -> dict[str, str]:
    """Point the workers at this process's Prefect API.

    Without a configured PREFECT_API_URL every Prefect process starts its own temporary
    server; workers would then each run one (CPU and memory on a small machine) over the
    same SQLite file. Starting ours now and sharing its URL gives one server for all.
    """
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        with get_client(sync_client=True) as client:
            url = str(client.api_url)
    return {"PREFECT_API_URL": url.rstrip("/")}


def with_runner(flow: Any, address: str | None) -> Any:
    """`flow` with a DaskTaskRunner on `address`, or unchanged (thread pool) without one."""
    if address is None:
        return flow
    from prefect_dask import DaskTaskRunner

    return flow.with_options(task_runner=DaskTaskRunner(address=address))
