"""Sharding helpers (pure) and the curate flow's shards on a real Dask LocalCluster."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.config import ClusterConfig, TeacherConfig
from flows.cluster import merge_shards, shard_count, shard_indices, teacher_for_shard
from germinate.cli import main
from reports.outputs import read_ledger

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "tasks.jsonl"


@given(st.integers(0, 500), st.integers(1, 64))
def test_shards_cover_every_index_once_and_merge_back_in_order(n, k):
    parts = shard_indices(n, k)
    flat = sorted(i for part in parts for i in part)
    assert flat == list(range(n))
    assert all(parts) and len(parts) == (min(n, k) if n else 0)
    sizes = [len(p) for p in parts]
    assert not sizes or max(sizes) - min(sizes) <= 1  # balanced
    results = [[f"r{i}" for i in part] for part in parts]
    assert merge_shards(parts, results, n) == [f"r{i}" for i in range(n)]


def test_merge_refuses_a_shard_that_lost_a_result():
    parts = shard_indices(5, 2)
    with pytest.raises(ValueError, match="returned 2 results"):
        merge_shards(parts, [["a", "b"], ["d", "e"]], 5)


def test_each_shard_gets_its_own_endpoint_and_the_count_follows_them():
    teacher = TeacherConfig(backend="openai", endpoints=["http://a:1/v1", "http://b:2/v1"])
    assert [teacher_for_shard(teacher, s).base_url for s in range(3)] == [
        "http://a:1/v1", "http://b:2/v1", "http://a:1/v1"]
    assert teacher_for_shard(teacher, 1).endpoints == []
    assert shard_count(ClusterConfig(), teacher) == 2
    assert shard_count(ClusterConfig(runner="dask", workers=3), TeacherConfig()) == 3
    assert shard_count(ClusterConfig(workers=3), TeacherConfig()) == 1


def _ledger(root: Path) -> list[dict]:
    (run,) = (root / "runs").iterdir()
    # Ids carry the run id, which differs between the two runs.
    return [json.loads(r.model_dump_json(include={"id", "instruction", "verdict", "reasons", "similarity",
                                                   "neighbour_id"}).replace(run.name, "RUN"))
            for r in read_ledger(run / "ledger.parquet")]


@pytest.mark.slow
def test_curation_on_two_dask_workers_matches_one_process(tmp_path):
    # Seeds plus near and exact copies of some of them, so every step has work to do.
    lines = SEEDS.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    extra = []
    for r in rows[:12]:
        copy = dict(r, id=r["id"] + "-copy")
        if len(extra) % 2:
            copy["instruction"] = r["instruction"] + " Please."
        extra.append(copy)
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows + extra) + "\n", encoding="utf-8")

    assert main(["curate", "--input", str(data), "--data-root", str(tmp_path / "one")]) == 0
    assert main(["curate", "--input", str(data), "--data-root", str(tmp_path / "two"),
                 "--set", "cluster.runner=dask", "--set", "cluster.workers=2"]) == 0
    one, two = _ledger(tmp_path / "one"), _ledger(tmp_path / "two")
    assert len(one) == len(rows) + len(extra) and one == two
    reasons = {reason for row in one for reason in row["reasons"]}
    assert {"exact_duplicate", "near_duplicate"} <= reasons

    # The shards really ran as separate tasks (on the cluster's workers).
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    async def shard_runs() -> int:
        async with get_client() as client:
            runs = await client.read_task_runs(
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="row-facts")))
            return len([r for r in runs if r.state and r.state.is_completed()])

    assert asyncio.run(shard_runs()) >= 2
