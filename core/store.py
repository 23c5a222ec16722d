"""The data root on disk: run directories, atomic writes, the run's status file.

Every file is written to a temporary name in the same directory and renamed over the target,
so a crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from core.errors import GerminateError

log = logging.getLogger(__name__)

# A pipeline run's stages in the order they run; each is recorded in status.json when done.
STAGES = ("generate", "curate", "tune", "evaluate")


@contextmanager
def atomic_file(path: Path) -> Iterator[Any]:
    """A binary file handle to write `path` through: a temp name in the same directory (the
    pattern `sweep_partial` removes), flushed and fsynced, renamed over `path` when the block
    ends; on an error the temp file goes and `path` is untouched. For writers that stream
    (numpy's savez) instead of handing over bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # mkstemp makes the file private (0600); the finished file gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def atomic_write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Build a directory under a temporary name and rename it into place when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the finished dir should not be
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# `.<name>.<8 random chars>[.tmp]`: the temp copy atomic_dir / atomic_write_* make of `<name>`
# (tempfile.mkstemp/mkdtemp's random part after our ".{name}." prefix).
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}(\.tmp)?")


def sweep_partial(directory: Path, names: Iterable[str] | None = None) -> list[str]:
    """Delete the temp copies that a killed `atomic_dir`/`atomic_write_*` left in `directory`
    (only those of the files in `names`, when given); returns the names removed.

    SIGKILL skips the `finally` that cleans up, so e.g. `.adapter.k3j2x9qa/` (a half-trained
    adapter, as big as the adapter) stays next to `adapter/` and every kill would add one.
    Call it only while holding the lock of whatever writes there: a live writer's temp copy
    looks the same.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    wanted = None if names is None else set(names)
    removed = []
    for entry in directory.glob(".*"):
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None or (wanted is not None and match["name"] not in wanted):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        log.warning("removed %s, left by an interrupted write", entry)
        removed.append(entry.name)
    return sorted(removed)


def remove_partial(path: Path) -> list[str]:
    """`sweep_partial` for the temp copies of one file or directory."""
    path = Path(path)
    return sweep_partial(path.parent, [path.name])


@contextmanager
def exclusive(lock_path: Path, what: str, wait: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` or fail at once (`wait`: block until it is free,
    for locks held only for milliseconds): two writers never interleave.

    flock is released by the kernel when the process dies, so a killed run leaves no stale
    lock behind for `resume` to trip over.
    """
    import fcntl

    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(lock_path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise GerminateError(f"{what} is being written by {holder}; wait for it or stop it") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()


def read_jsonl_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file germinate wrote itself (a missing file has no rows)."""
    path = Path(path)
    if not path.exists():
        return []
    # split("\n"), not splitlines(): U+2028 and friends are written raw inside JSON strings.
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object file germinate wrote itself (status, checkpoint); a damaged one is a
    one-line error naming the file, not a JSONDecodeError's traceback."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise GerminateError(f"{path} is damaged (not UTF-8 text): restore it or remove its run") from None
    except json.JSONDecodeError as exc:
        raise GerminateError(f"{path} is damaged (not valid JSON at line {exc.lineno}, column {exc.colno}): "
                             "restore it or remove its run") from None
    if not isinstance(obj, dict):
        raise GerminateError(f"{path} is damaged (not a JSON object): restore it or remove its run")
    return obj


def new_run_id(prefix: str = "") -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    return f"{prefix}{stamp}"


class RunDir:
    """`<data_root>/runs/<run_id>/`: config snapshot, candidates, ledger, outputs, status."""

    def __init__(self, data_root: Path, run_id: str) -> None:
        self.data_root = Path(data_root)
        self.run_id = run_id
        self.path = self.data_root / "runs" / run_id

    @classmethod
    def create(cls, data_root: Path, run_id: str, config_yaml: str, kind: str) -> "RunDir":
        """Create the run directory complete with its config and status, in one rename."""
        run = cls(data_root, run_id)
        # Creates take turns (milliseconds each), so none is half done while the one holding the
        # lock sweeps the `runs/.<id>.xxxxxxxx/` a create killed before its rename left.
        with exclusive(run.data_root / ".runs.lock", "the runs directory", wait=True):
            sweep_partial(run.path.parent)
            if run.path.exists():
                raise GerminateError(f"run directory already exists: {run.path}")
            with atomic_dir(run.path) as tmp:
                (tmp / "config.yaml").write_text(config_yaml, encoding="utf-8")
                status = {"run_id": run_id, "kind": kind, "status": "running", "created": _now(), "stages": {}}
                (tmp / "status.json").write_text(json.dumps(status, indent=2), encoding="utf-8")
        return run

    @classmethod
    def open(cls, data_root: Path, run_id_or_path: str) -> "RunDir":
        candidate = Path(run_id_or_path)
        if candidate.is_dir() and (candidate / "status.json").exists():
            return cls(candidate.resolve().parent.parent, candidate.resolve().name)
        run = cls(data_root, run_id_or_path)
        if not (run.path / "status.json").exists():
            raise GerminateError(f"no such run: {run_id_or_path} (looked in {run.path.parent})")
        return run

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def status(self) -> dict[str, Any]:
        return read_json_object(self.file("status.json"))

    def update_status(self, **fields: Any) -> None:
        status = self.status
        status.update(fields)
        status["updated"] = _now()
        atomic_write_json(self.file("status.json"), status)

    def mark_stage(self, stage: str, **info: Any) -> None:
        status = self.status
        status.setdefault("stages", {})[stage] = {"done": _now(), **info}
        atomic_write_json(self.file("status.json"), status)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """The run's writer lock. Taking it also removes the temp copies a killed writer of this
        run left (a half-written ledger, status or adapter): nobody else writes here now."""
        with exclusive(self.file(".lock"), f"run {self.run_id}"):
            sweep_partial(self.path)
            yield

    def stage_done(self, stage: str) -> bool:
        return stage in self.status.get("stages", {})

    def current_stage(self) -> str | None:
        """The stage a run is in (or was in when it stopped): the first of `STAGES` not done.
        Stages run in that order and each is recorded done only when finished, so this needs
        no write when a stage starts."""
        return next((s for s in STAGES if not self.stage_done(s)), None)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Hold the run's lock while working on it, and record how the work ended if it did not
        finish: an `Exception` marks the run "failed" with its message; anything else (Ctrl-C,
        SIGTERM, Prefect's cancellation) marks it "interrupted" with the stage it was in.
        Either way `germinate resume` continues it. The exception goes on."""
        with self.lock():
            try:
                yield
            except BaseException as exc:
                self._record_stop(exc)
                raise

    def _record_stop(self, exc: BaseException) -> None:
        stage = self.current_stage()
        if isinstance(exc, Exception):
            status, error = "failed", str(exc) or type(exc).__name__
        else:
            # KeyboardInterrupt (SIGINT), germinate's SIGTERM exception and Prefect's
            # TerminationSignal carry the signal number as `signal`; SystemExit does not.
            signum = getattr(exc, "signal", signal.SIGINT if isinstance(exc, KeyboardInterrupt) else None)
            name = signal.Signals(signum).name if isinstance(signum, int) else type(exc).__name__
            status, error = "interrupted", f"interrupted by {name}"
        self.update_status(status=status, stage=stage, error=error)
        # Said where the error is reported (a traceback shows notes; the CLI prints it).
        exc.add_note(f"run {self.run_id} {status} in stage {stage}; continue it with: germinate resume {self.run_id}")

    def resumed(self) -> None:
        """Mark a failed or interrupted run running again (its last error cleared)."""
        status = self.status
        for key in ("stage", "error"):
            status.pop(key, None)
        status.update(status="running", updated=_now())
        atomic_write_json(self.file("status.json"), status)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
