"""`schedule` and `cluster`: when the nightly run starts and where its shards run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.config.base import Strict


class ScheduleConfig(Strict):
    """When the nightly deployment runs (`germinate schedule`, prefect.yaml)."""

    cron: str = "0 2 * * *"
    timezone: str = "UTC"


class ClusterConfig(Strict):
    """Where generation and curation run: this process, or shards on Dask workers."""

    # `local`: this process (shards for several teacher endpoints still run in parallel
    # threads). `dask`: Prefect's DaskTaskRunner; each round's teacher requests and the
    # row-level filters are split into shards that run on the workers.
    runner: Literal["local", "dask"] = "local"
    # A running Dask scheduler (e.g. tcp://10.0.0.5:8786); unset: a LocalCluster here.
    address: str | None = None
    # LocalCluster size, and the shard count when no teacher endpoints are listed (each worker
    # then loads its own in-process engine: one per GPU on a multi-GPU node).
    workers: int = Field(2, ge=1, le=4096)
