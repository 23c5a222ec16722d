import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.errors import GerminateError
from core.store import (
    RunDir,
    atomic_dir,
    atomic_write_json,
    atomic_write_jsonl,
    atomic_write_text,
    read_jsonl_rows,
    remove_partial,
    sweep_partial,
)


def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "sub" / "status.json"
    atomic_write_text(path, "old")
    atomic_write_json(path, {"name": "새싹", "n": 1})
    assert json.loads(path.read_text(encoding="utf-8")) == {"name": "새싹", "n": 1}
    assert "새싹" in path.read_text(encoding="utf-8")  # written as UTF-8, not \u escapes
    assert os.listdir(path.parent) == ["status.json"]


def test_atomic_write_jsonl_round_trips(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"id": "a", "text": "안녕"}, {"id": "b", "text": "line\nbreak"}]
    atomic_write_jsonl(path, rows)
    assert read_jsonl_rows(path) == rows
    assert path.read_text(encoding="utf-8").count("\n") == 2
    assert read_jsonl_rows(tmp_path / "missing.jsonl") == []


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"
    atomic_write_text(path, "old\n")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new\n")
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["data.jsonl"]


def test_atomic_dir_publishes_when_complete(tmp_path):
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with atomic_dir(target) as tmp:
        assert tmp != target and not (tmp / "stale.txt").exists()
        (tmp / "part.txt").write_text("new")
    assert sorted(os.listdir(target)) == ["part.txt"]
    assert os.listdir(tmp_path) == ["dataset"]


def test_failure_inside_atomic_dir_leaves_no_directory(tmp_path):
    target = tmp_path / "dataset"
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("crash while writing")
    assert os.listdir(tmp_path) == []


def test_failure_inside_atomic_dir_keeps_the_previous_directory(tmp_path):
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "good.txt").write_text("good")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("crash while writing")
    assert os.listdir(target) == ["good.txt"]
    assert os.listdir(tmp_path) == ["dataset"]


def test_run_dir_create(tmp_path):
    run = RunDir.create(tmp_path, "r1", "generate: {}\n", kind="generate")
    assert run.path == tmp_path / "runs" / "r1"
    assert run.file("config.yaml").read_text() == "generate: {}\n"
    status = run.status
    assert (status["run_id"], status["kind"], status["status"], status["stages"]) == ("r1", "generate", "running", {})
    assert oct(run.path.stat().st_mode & 0o777) == oct(0o755)


def test_run_dir_refuses_an_existing_run(tmp_path):
    RunDir.create(tmp_path, "r1", "a: 1\n", kind="generate")
    with pytest.raises(GerminateError, match=f"^{re.escape(f'run directory already exists: {tmp_path}/runs/r1')}$"):
        RunDir.create(tmp_path, "r1", "a: 2\n", kind="generate")
    assert RunDir(tmp_path, "r1").file("config.yaml").read_text() == "a: 1\n"


def test_stages_round_trip(tmp_path):
    run = RunDir.create(tmp_path, "r1", "", kind="pipeline")
    assert not run.stage_done("instructions")
    run.mark_stage("instructions", count=12)
    run.update_status(status="done")
    reopened = RunDir.open(tmp_path, "r1")
    assert reopened.stage_done("instructions") and not reopened.stage_done("instances")
    assert reopened.status["stages"]["instructions"]["count"] == 12
    assert reopened.status["status"] == "done" and "updated" in reopened.status


def test_open_by_path_and_missing_run(tmp_path):
    run = RunDir.create(tmp_path, "r1", "", kind="curate")
    by_path = RunDir.open(tmp_path / "elsewhere", str(run.path))
    assert (by_path.run_id, by_path.path) == ("r1", run.path.resolve())
    with pytest.raises(GerminateError, match="^no such run: r2 "):
        RunDir.open(tmp_path, "r2")


def test_remove_partial_clears_what_a_sigkilled_atomic_dir_left(tmp_path):
    # A writer killed with SIGKILL inside atomic_dir never runs its cleanup.
    code = textwrap.dedent("""
        import os, signal, sys
        from pathlib import Path
        sys.path.insert(0, sys.argv[2])
        from core.store import atomic_dir
        with atomic_dir(Path(sys.argv[1])) as tmp:
            (tmp / "adapter_model.safetensors").write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "adapter"), str(repo)])
    assert proc.returncode == -9
    (leftover,) = os.listdir(tmp_path)
    assert leftover.startswith(".adapter.")
    assert remove_partial(tmp_path / "adapter") == [leftover]
    assert os.listdir(tmp_path) == []


def test_remove_partial_leaves_everything_else(tmp_path):
    (tmp_path / "adapter").mkdir()
    (tmp_path / ".adapter.k3j2x9qa").mkdir()
    (tmp_path / ".adapter.ab_4ef9x.tmp").write_text("half")
    keep = [".adapter.notes", ".adapters.k3j2x9qa", ".adapter.k3j2x9qa.bak", ".lock", "adapter", "train.jsonl"]
    for name in keep[:-2] + keep[-1:]:
        (tmp_path / name).write_text("mine")
    assert remove_partial(tmp_path / "adapter") == [".adapter.ab_4ef9x.tmp", ".adapter.k3j2x9qa"]
    assert sorted(os.listdir(tmp_path)) == sorted(keep)
    assert remove_partial(tmp_path / "missing" / "adapter") == []


def test_taking_a_runs_lock_sweeps_what_killed_writers_left(tmp_path):
    run = RunDir.create(tmp_path, "r1", "a: 1\n", "pipeline")
    # What SIGKILL inside atomic_write_* / atomic_dir leaves: temp copies next to their targets.
    (run.path / ".status.json.q8flf5jw.tmp").write_text("{half")
    (run.path / ".ledger.parquet.05r4gpig.tmp").write_bytes(b"PAR")
    (run.path / ".adapter.de2nc5jh").mkdir()
    (run.path / ".adapter.de2nc5jh" / "adapter_model.safetensors").write_bytes(b"half")
    # ...and what must stay: the real files, the lock, names that only look similar.
    (run.path / "adapter").mkdir()
    (run.path / ".notes.txt").write_text("mine")
    (run.path / ".status.json.TOO-LONG-TAIL.tmp").write_text("not ours")
    with run.lock():
        left = sorted(os.listdir(run.path))
    assert left == [".lock", ".notes.txt", ".status.json.TOO-LONG-TAIL.tmp", "adapter", "config.yaml",
                    "status.json"]
    assert run.status["run_id"] == "r1"


def test_sweep_partial_only_touches_the_named_targets(tmp_path):
    (tmp_path / ".pool.jsonl.abcd1234.tmp").write_text("half")
    (tmp_path / ".index-instruction.json.zz99yy88.tmp").write_text("half")
    assert sweep_partial(tmp_path, ["pool.jsonl"]) == [".pool.jsonl.abcd1234.tmp"]
    assert sweep_partial(tmp_path) == [".index-instruction.json.zz99yy88.tmp"]
    assert os.listdir(tmp_path) == []
    assert sweep_partial(tmp_path / "missing") == []


def _run(tmp_path, stages=()):
    run = RunDir.create(tmp_path, "r1", "{}\n", "pipeline")
    for stage in stages:
        run.mark_stage(stage)
    return run


def test_current_stage_is_the_first_stage_not_done(tmp_path):
    run = _run(tmp_path)
    assert run.current_stage() == "generate"
    run.mark_stage("generate")
    run.mark_stage("curate")
    assert run.current_stage() == "tune"
    run.mark_stage("tune")
    run.mark_stage("evaluate")
    assert run.current_stage() is None


def test_guard_marks_an_error_failed_with_its_stage_and_lets_it_through(tmp_path):
    run = _run(tmp_path, ["generate"])
    with pytest.raises(ValueError) as raised:
        with run.guard():
            raise ValueError("teacher said no")
    status = run.status
    assert (status["status"], status["stage"], status["error"]) == ("failed", "curate", "teacher said no")
    assert raised.value.__notes__ == ["run r1 failed in stage curate; continue it with: germinate resume r1"]


@pytest.mark.parametrize("exc, name", [
    (KeyboardInterrupt(), "SIGINT"),
    (type("Interrupted", (SystemExit,), {"signal": 15})(143), "SIGTERM"),  # germinate.cli's
    (type("TerminationSignal", (BaseException,), {"signal": 15})(), "SIGTERM"),  # Prefect's
    (SystemExit(1), "SystemExit"),
])
def test_guard_marks_a_signal_interrupted_with_its_stage(tmp_path, exc, name):
    run = _run(tmp_path, ["generate", "curate"])
    with pytest.raises(type(exc)):
        with run.guard():
            raise exc
    status = run.status
    assert (status["status"], status["stage"], status["error"]) == ("interrupted", "tune", f"interrupted by {name}")
    assert exc.__notes__ == ["run r1 interrupted in stage tune; continue it with: germinate resume r1"]


def test_guard_holds_the_lock_and_records_nothing_on_success(tmp_path):
    run = _run(tmp_path)
    with run.guard():
        with pytest.raises(GerminateError, match="run r1 is being written by pid"):
            with run.lock():
                pass
    assert run.status["status"] == "running" and "stage" not in run.status


def test_resumed_clears_the_stop_and_keeps_the_stages(tmp_path):
    run = _run(tmp_path, ["generate"])
    with pytest.raises(KeyboardInterrupt):
        with run.guard():
            raise KeyboardInterrupt
    run.resumed()
    status = run.status
    assert status["status"] == "running" and "stage" not in status and "error" not in status
    assert list(status["stages"]) == ["generate"]


def test_a_killed_create_leaves_a_temp_dir_the_next_create_sweeps(tmp_path):
    from core.store import RunDir

    left = tmp_path / "runs" / ".n1.k3j2x9qa"  # what atomic_dir of a create killed before its rename leaves
    left.mkdir(parents=True)
    (left / "config.yaml").write_text("{}")
    keep = tmp_path / "runs" / ".notes"  # not a temp name: left alone
    keep.mkdir()
    RunDir.create(tmp_path, "n2", "{}\n", "pipeline")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [".notes", "n2"]


def test_atomic_file_streams_fsyncs_and_leaves_nothing_on_error(tmp_path, monkeypatch):
    import os

    from core.store import atomic_file

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    target = tmp_path / "index.npz"
    with atomic_file(target) as fh:
        fh.write(b"first")
    assert target.read_bytes() == b"first" and len(synced) == 1
    with pytest.raises(RuntimeError):
        with atomic_file(target) as fh:
            fh.write(b"half")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"first" and sorted(p.name for p in tmp_path.iterdir()) == ["index.npz"]
