"""Two writers on one run directory, the pool or the registry: the second fails at once with
a GerminateError saying who holds it, and a SIGKILLed holder leaves no stale lock behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core import pool
from core.errors import GerminateError
from core.records import LedgerRow
from core.store import RunDir, exclusive
from evals import gate

REPO = Path(__file__).resolve().parents[2]


def kept(run_id: str, n: int) -> list[LedgerRow]:
    return [LedgerRow(id=f"{run_id}-{i}", instruction=f"Task {i} of {run_id}", output="ok", verdict="kept")
            for i in range(n)]


def python(code: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


HOLD = """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, ".")
    from core.store import exclusive
    with exclusive(Path(sys.argv[1]), "it"):
        print("locked", flush=True)
        time.sleep(60)
"""


@pytest.fixture
def holder():
    """Start a child that takes the lock at a path and sleeps holding it."""
    procs: list[subprocess.Popen] = []

    def start(lock_path: Path) -> subprocess.Popen:
        proc = python(HOLD, str(lock_path))
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_second_writer_on_a_run_dir_fails_at_once(tmp_path):
    run = RunDir.create(tmp_path, "r1", "x: 1\n", "pipeline")
    with run.lock():
        with pytest.raises(GerminateError, match=rf"run r1 is being written by pid {os.getpid()}"):
            with run.lock():
                pass
    with run.lock():  # released when the first writer is done
        pass


def test_lock_is_released_when_the_block_raises(tmp_path):
    run = RunDir.create(tmp_path, "r1", "x: 1\n", "pipeline")
    with pytest.raises(RuntimeError):
        with run.lock():
            raise RuntimeError("stage failed")
    with run.lock():
        pass


def test_pool_and_registry_refuse_a_second_writer(tmp_path):
    with exclusive(pool.pool_path(tmp_path).with_name(".lock"), "the pool"):
        with pytest.raises(GerminateError, match="the pool is being written by pid"):
            pool.add_run(tmp_path, "r1", kept("r1", 2))
    assert pool.load_pool(tmp_path) == []
    with exclusive(gate.registry_path(tmp_path).with_name(".registry.lock"), "the registry"):
        with pytest.raises(GerminateError, match="the registry is being written by pid"):
            gate.record(tmp_path, {"run_id": "r1", "adapter": "a", "base_model": "b"}, promote=True)
    assert gate.load(tmp_path)["history"] == []


def test_other_process_holding_the_run_lock_is_named(tmp_path, holder):
    run = RunDir.create(tmp_path, "r1", "x: 1\n", "pipeline")
    child = holder(run.file(".lock"))
    with pytest.raises(GerminateError, match=rf"is being written by pid {child.pid}\b"):
        with run.lock():
            pass


@pytest.mark.parametrize("what", ["run", "pool", "registry"])
def test_sigkilled_holder_leaves_no_stale_lock(tmp_path, holder, what):
    lock = {"run": tmp_path / "runs" / "r1" / ".lock",
            "pool": pool.pool_path(tmp_path).with_name(".lock"),
            "registry": gate.registry_path(tmp_path).with_name(".registry.lock")}[what]
    child = holder(lock)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert lock.read_text() == f"pid {child.pid}"  # the dead holder's note is still there...
    if what == "run":
        with exclusive(lock, "run r1"):  # ...but the lock is free
            assert lock.read_text() == f"pid {os.getpid()}"
    elif what == "pool":
        assert pool.add_run(tmp_path, "r1", kept("r1", 3)) == 3
    else:
        gate.record(tmp_path, {"run_id": "r1", "adapter": "a", "base_model": "b"}, promote=True)
        assert gate.load(tmp_path)["champion"]["run_id"] == "r1"


ADD = """
    import json, sys
    sys.path.insert(0, ".")
    from pathlib import Path
    from evals import gate
    from core import pool
    from core.errors import GerminateError
    from core.records import LedgerRow
    root, run_id = Path(sys.argv[1]), sys.argv[2]
    rows = [LedgerRow(id=f"{run_id}-{i}", instruction=f"Task {i}", output="ok", verdict="kept") for i in range(200)]
    sys.stdin.readline()  # start together
    result = {"pool": None, "registry": None}
    try:
        result["pool"] = pool.add_run(root, run_id, rows)
    except GerminateError as exc:
        result["pool"] = str(exc)
    try:
        gate.record(root, {"run_id": run_id, "adapter": "a", "base_model": "b"}, promote=False)
        result["registry"] = "ok"
    except GerminateError as exc:
        result["registry"] = str(exc)
    print(json.dumps(result))
"""


def test_concurrent_writers_lose_nothing_they_report_as_written(tmp_path):
    """Six runs finishing at once: each add either lands whole or fails with the lock error."""
    ids = [f"r{i}" for i in range(6)]
    procs = [python(ADD, str(tmp_path), run_id, stdin=subprocess.PIPE) for run_id in ids]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = {}
    for run_id, p in zip(ids, procs):
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results[run_id] = json.loads(out)
    rows = pool.load_pool(tmp_path)
    added = {r for r, res in results.items() if res["pool"] == 200}
    failed = {r for r, res in results.items() if isinstance(res["pool"], str)}
    assert added | failed == set(ids)
    assert all("is being written by" in results[r]["pool"] for r in failed)
    assert {r["run_id"] for r in rows} == added
    assert len(rows) == len({r["id"] for r in rows}) == 200 * len(added)
    recorded = {r for r, res in results.items() if res["registry"] == "ok"}
    assert all("is being written by" in res["registry"] for res in results.values() if res["registry"] != "ok")
    history = [h["run_id"] for h in gate.load(tmp_path)["history"]]
    assert sorted(history) == sorted(recorded)  # each recorded once, none lost
