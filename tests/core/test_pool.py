"""The pool honours a person's decisions: dropped rows leave it (and come back when withdrawn),
kept rows join it, and tuning never trains on a dropped row."""

from __future__ import annotations

from core import overrides, pool
from core.config import PipelineConfig, TuneConfig, dump_config
from core.overrides import Override
from core.records import LedgerRow
from core.store import RunDir, atomic_write_jsonl, read_jsonl_rows
from tuning.data import training_rows


def _kept(run_id: str, n: int) -> list[LedgerRow]:
    return [LedgerRow(id=f"{run_id}-{i}", instruction=f"Task {i} of {run_id}", output="An answer.",
                      verdict="kept") for i in range(n)]


def _ids(rows) -> list[str]:
    return [r["id"] for r in rows]


def test_drops_leave_the_pool_and_come_back_when_withdrawn(tmp_path):
    assert pool.add_run(tmp_path, "n1", _kept("n1", 3)) == 3
    overrides.save(tmp_path, Override(id="n1-1", decision="drop", note="junk"))
    # Read-time: gone at once, before any file is brought up to date.
    assert _ids(pool.load_pool(tmp_path)) == ["n1-0", "n1-2"]
    assert pool.honour_overrides(tmp_path) == {"removed": 1, "restored": 0, "added": 0}
    assert _ids(read_jsonl_rows(pool.pool_path(tmp_path))) == ["n1-0", "n1-2"]
    assert _ids(read_jsonl_rows(pool.removed_path(tmp_path))) == ["n1-1"]
    assert pool.honour_overrides(tmp_path) == {"removed": 0, "restored": 0, "added": 0}  # idempotent
    # A resumed run does not add itself again although one of its rows left the pool.
    assert pool.add_run(tmp_path, "n1", _kept("n1", 3)) == 0
    overrides.clear(tmp_path, "n1-1")
    assert pool.honour_overrides(tmp_path)["restored"] == 1
    assert sorted(_ids(read_jsonl_rows(pool.pool_path(tmp_path)))) == ["n1-0", "n1-1", "n1-2"]
    assert read_jsonl_rows(pool.removed_path(tmp_path)) == []


def test_kept_rows_join_the_pool_only_for_runs_that_feed_it(tmp_path):
    pool.add_run(tmp_path, "n1", _kept("n1", 1))
    overrides.save(tmp_path, Override(id="n1-7", decision="keep", pool_run="n1", instruction="Name a colour.",
                                      output="Blue."))
    overrides.save(tmp_path, Override(id="curate-x1", decision="keep", pool_run=""))  # an imported file's row
    assert pool.honour_overrides(tmp_path)["added"] == 1
    rows = read_jsonl_rows(pool.pool_path(tmp_path))
    assert _ids(rows) == ["n1-0", "n1-7"] and rows[1]["added_by"] == "override"
    assert rows[1]["instruction"] == "Name a colour." and rows[1]["run_id"] == "n1"
    # The next night's curation adds its rows and keeps the person's.
    assert pool.add_run(tmp_path, "n2", _kept("n2", 1)) == 1
    assert _ids(pool.load_pool(tmp_path)) == ["n1-0", "n1-7", "n2-0"]
    overrides.clear(tmp_path, "n1-7")
    pool.honour_overrides(tmp_path)
    assert _ids(pool.load_pool(tmp_path)) == ["n1-0", "n2-0"]


def test_tuning_never_sees_a_dropped_row(tmp_path):
    run = RunDir.create(tmp_path, "n1", dump_config(PipelineConfig()), "pipeline")
    kept = _kept("n1", 3)
    pool.add_run(tmp_path, "n1", kept)
    atomic_write_jsonl(run.file("data.jsonl"), [{"id": r.id, "messages": [
        {"role": "user", "content": r.instruction}, {"role": "assistant", "content": r.output}]} for r in kept])
    overrides.save(tmp_path, Override(id="n1-2", decision="drop"))
    for data in ("pool", "run"):
        rows = training_rows(run, TuneConfig(data=data, include_seeds=False), [])
        assert _ids(rows) == ["n1-0", "n1-1"], data


def test_membership_is_the_rows_run_id_not_an_id_prefix(tmp_path):
    from flows.checkpoint import other_runs_rows

    assert pool.add_run(tmp_path, "n1-b", _kept("n1-b", 2)) == 2
    # "n1-b-0" starts with "n1-": a prefix test would take run n1 as already in the pool.
    assert pool.add_run(tmp_path, "n1", _kept("n1", 2)) == 2
    assert pool.add_run(tmp_path, "n1", _kept("n1", 2)) == 0  # a resumed run adds nothing twice
    assert _ids(other_runs_rows(tmp_path, "n1")) == ["n1-b-0", "n1-b-1"]
    assert _ids(other_runs_rows(tmp_path, "n1-b")) == ["n1-0", "n1-1"]
