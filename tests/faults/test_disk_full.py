"""The disk fills up in the middle of a write.

Two ways: `os.fdopen`/`os.fsync` patched to fail with ENOSPC after N bytes (runs anywhere),
and a real 64 KiB tmpfs (only where this process may mount; skipped otherwise). Either way
the write raises OSError(ENOSPC) (germinate does not convert it), the file keeps its previous
content, no partial target appears and no temp file is left behind.
"""

from __future__ import annotations

import errno
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from core import pool, store
from core.records import LedgerRow
from core.store import RunDir, atomic_dir, atomic_write_bytes, atomic_write_json, atomic_write_jsonl
from evals import gate
from reports.outputs import read_ledger, write_ledger


def enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FillingFile:
    """A real file that takes `room` more bytes, then fails the way a full disk does."""

    def __init__(self, fh, disk: "Disk") -> None:
        self._fh, self._disk = fh, disk

    def write(self, data: bytes) -> int:
        room = self._disk.room - self._disk.written
        if len(data) > room:
            self._fh.write(data[:max(room, 0)])
            self._fh.flush()
            self._disk.written += max(room, 0)
            raise enospc()
        self._disk.written += len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False


class Disk:
    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch
        self.room = 0
        self.written = 0
        self._fdopen = os.fdopen

    def fill_after(self, room: int) -> None:
        """Writes through atomic_write_* fail once `room` bytes are written."""
        self.room, self.written = room, 0
        self.monkeypatch.setattr(store.os, "fdopen", lambda fd, *a, **kw: _FillingFile(self._fdopen(fd, *a, **kw), self))

    def fail_fsync(self) -> None:
        """Delayed allocation: the data is accepted, fsync reports the disk is full."""
        def fsync(fd):
            raise enospc()
        self.monkeypatch.setattr(store.os, "fsync", fsync)

    def fail_mkstemp(self) -> None:
        def mkstemp(*a, **kw):
            raise enospc()
        self.monkeypatch.setattr(store.tempfile, "mkstemp", mkstemp)

    def free(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def disk(monkeypatch):
    return Disk(monkeypatch)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in Path(directory).iterdir() if p.name.startswith("."))


def row(i: int, output: str = "answer " * 20) -> LedgerRow:
    return LedgerRow(id=f"r{i}", instruction=f"Instruction number {i} " * 4, output=output, verdict="kept")


def incompressible_rows(n: int, chars: int = 400) -> list[LedgerRow]:
    """Rows parquet cannot squeeze below `chars` bytes each."""
    rng = random.Random(0)
    return [row(i, os.urandom(chars // 2).hex() + rng.choice("abc")) for i in range(1, n + 1)]


# --- atomic writes -------------------------------------------------------------------------

@pytest.mark.parametrize("room", [0, 1, 100, 4095, 4096, 9000])
def test_write_failing_after_n_bytes_keeps_previous_file(disk, tmp_path, room):
    target = tmp_path / "data.jsonl"
    atomic_write_jsonl(target, [{"id": "old"}])
    before = target.read_bytes()
    disk.fill_after(room)
    with pytest.raises(OSError) as err:
        atomic_write_jsonl(target, [{"id": f"new-{i}", "text": "x" * 50} for i in range(200)])
    assert err.value.errno == errno.ENOSPC
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_fsync_reporting_enospc_keeps_previous_file(disk, tmp_path):
    target = tmp_path / "status.json"
    atomic_write_json(target, {"status": "running"})
    disk.fail_fsync()
    with pytest.raises(OSError) as err:
        atomic_write_json(target, {"status": "completed"})
    assert err.value.errno == errno.ENOSPC
    assert json.loads(target.read_text()) == {"status": "running"}
    assert leftovers(tmp_path) == []


def test_no_room_for_the_temp_file_leaves_target_untouched(disk, tmp_path):
    target = tmp_path / "x.json"
    atomic_write_json(target, [1])
    disk.fail_mkstemp()
    with pytest.raises(OSError):
        atomic_write_json(target, [2])
    assert json.loads(target.read_text()) == [1]


def test_missing_target_stays_missing(disk, tmp_path):
    disk.fill_after(10)
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "new.bin", b"y" * 100)
    assert not (tmp_path / "new.bin").exists()
    assert leftovers(tmp_path) == []


# --- germinate's files -------------------------------------------------------------------

def test_ledger_write_on_full_disk_keeps_previous_ledger(disk, tmp_path):
    path = tmp_path / "ledger.parquet"
    write_ledger(path, [row(0)])
    disk.fill_after(512)
    with pytest.raises(OSError):
        write_ledger(path, [row(i) for i in range(300)])
    disk.free()
    assert [r.id for r in read_ledger(path)] == ["r0"]
    assert leftovers(tmp_path) == []


def test_pool_add_on_full_disk_keeps_pool_and_releases_its_lock(disk, tmp_path):
    pool.add_run(tmp_path, "run-a", [row(0)])
    before = pool.load_pool(tmp_path)
    disk.fill_after(64)
    with pytest.raises(OSError):
        pool.add_run(tmp_path, "run-b", [row(i) for i in range(1, 50)])
    assert pool.load_pool(tmp_path) == before
    assert [n for n in leftovers(tmp_path / "pool") if n != ".lock"] == []
    disk.free()
    assert pool.add_run(tmp_path, "run-b", [row(1)]) == 1  # space freed: the same add succeeds


def test_registry_record_on_full_disk_keeps_registry(disk, tmp_path):
    entry = {"run_id": "r1", "adapter": "a", "base_model": "b", "scores": {"rouge_l": 0.5}, "decision": {}}
    gate.record(tmp_path, entry, promote=True)
    before = gate.load(tmp_path)
    disk.fill_after(100)
    with pytest.raises(OSError):
        gate.record(tmp_path, dict(entry, run_id="r2", scores={"rouge_l": 0.9}), promote=True)
    assert gate.load(tmp_path) == before
    assert [n for n in leftovers(tmp_path) if not n.endswith(".lock")] == []


def test_status_update_on_full_disk_keeps_status(disk, tmp_path):
    run = RunDir.create(tmp_path, "r1", "generate: {}\n", "pipeline")
    disk.fill_after(20)
    with pytest.raises(OSError):
        run.mark_stage("generate", candidates=10)
    disk.free()
    assert run.status["status"] == "running" and run.status["stages"] == {}
    assert leftovers(run.path) == []


def test_directory_build_failing_keeps_previous_directory(tmp_path):
    target = tmp_path / "dataset"
    with atomic_dir(target) as tmp:
        (tmp / "part-0").write_text("old")
    with pytest.raises(OSError):
        with atomic_dir(target) as tmp:
            (tmp / "part-0").write_text("new, half")
            raise enospc()
    assert (target / "part-0").read_text() == "old"
    assert leftovers(tmp_path) == []


def test_run_create_on_full_disk_leaves_no_run(monkeypatch, tmp_path):
    real = Path.write_text

    def full(self, *a, **kw):
        if self.name == "status.json":
            raise enospc()
        return real(self, *a, **kw)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError):
        RunDir.create(tmp_path, "r1", "x: 1\n", "pipeline")
    assert not (tmp_path / "runs" / "r1").exists()
    assert leftovers(tmp_path / "runs") == []


# --- a real, small file system ------------------------------------------------------------

@pytest.fixture
def small_fs(tmp_path):
    """A 64 KiB tmpfs, where this process may mount one (root, or CAP_SYS_ADMIN)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("cannot run mount here")
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True, timeout=10)


def test_real_full_disk_keeps_previous_files(small_fs):
    root = small_fs / "data"
    pool.add_run(root, "run-a", [row(0)])
    write_ledger(root / "ledger.parquet", [row(0)])
    pool_before = (root / "pool" / "pool.jsonl").read_bytes()
    big = incompressible_rows(300)  # ~120 KiB: more than the file system holds
    with pytest.raises(OSError) as err:
        pool.add_run(root, "run-b", big)
    assert err.value.errno == errno.ENOSPC
    with pytest.raises(OSError) as err:
        write_ledger(root / "ledger.parquet", big)
    assert err.value.errno == errno.ENOSPC
    assert (root / "pool" / "pool.jsonl").read_bytes() == pool_before
    assert [r.id for r in read_ledger(root / "ledger.parquet")] == ["r0"]
    assert [n for n in leftovers(root) + leftovers(root / "pool") if n != ".lock"] == []
    assert pool.add_run(root, "run-c", [row(1)]) == 1  # the failed writes freed their space


@pytest.fixture
def restore_env():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_cli_reports_a_full_disk_in_one_line(disk, tmp_path, restore_env, capsys):
    from germinate.cli import main

    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"instruction": "Name three rivers in Asia.", "output": "Ganges, Mekong, Yangtze."}) + "\n")
    disk.fill_after(0)
    disk.monkeypatch.setattr(Path, "write_text", lambda self, *a, **kw: (_ for _ in ()).throw(enospc()))
    code = main(["curate", "--input", str(data), "--data-root", str(tmp_path / "root"),
                 "--set", "curate.decontamination.eval_set=null"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("germinate: error:") and "space" in err.lower() and err.count("\n") == 1
