"""Where output goes: the person's terminal gets germinate's own lines, a log file gets the rest.

On the terminal: one progress line per stage, the summary tables, and errors as one line. In the
log file: everything the libraries print (vLLM, torch, transformers, datasets, TRL, Prefect:
warnings, per-step dicts, stacked progress bars, C++ messages, and the output of child
processes such as Prefect's temporary API server) and the traceback behind an unexpected error:
the run's `log.txt` once the command works on a run, `<data root>/germinate.log` before that.
`--verbose` leaves everything on the console, as the libraries print it.

How: the process's stdout and stderr file descriptors are pointed at the log file, so C-level
writes and child processes follow, and germinate writes to duplicates of the original ones. When
the streams are not file descriptors (a test capturing them in memory), the Python streams are
swapped instead. The CLI configures this once per command (`configure`) and undoes it when the
command ends (`reset`).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn,
                           TimeElapsedColumn)
from rich.text import Text

LOG_NAME = "germinate.log"  # in the data root, for commands (and moments) without a run
RUN_LOG_NAME = "log.txt"  # in a run's directory

# germinate's own output. Its file follows `configure`: the terminal, whatever fds 1 and 2 become.
terminal = Console()


@dataclass
class _Session:
    verbose: bool
    log: TextIO | None = None
    path: Path | None = None
    start: int = 0  # where this command's part of the current log begins
    saved_fds: dict[int, int] = field(default_factory=dict)  # 1, 2 -> duplicates of the originals
    saved_streams: tuple[Any, Any] | None = None
    out: TextIO | None = None
    err: TextIO | None = None


_session: _Session | None = None
_stage: tuple[Progress, TaskID] | None = None


def _fd_of(stream: Any) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _open_log(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    log = open(path, "a", encoding="utf-8", errors="replace", buffering=1)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    log.write(f"--- {stamp} pid {os.getpid()}: germinate {' '.join(sys.argv[1:])}\n")
    return log


def configure(log_path: Path, verbose: bool = False) -> None:
    """From now on the libraries' output goes to `log_path` (unless `verbose`); once per command,
    later calls move it to another file (`to_log`)."""
    global _session
    if _session is not None:
        to_log(log_path)
        return
    _session = _Session(verbose=verbose)
    if verbose:
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    if _fd_of(sys.stdout) == 1 and _fd_of(sys.stderr) == 2:
        _session.saved_fds = {fd: os.dup(fd) for fd in (1, 2)}
        _session.out = open(os.dup(1), "w", encoding=sys.stdout.encoding or "utf-8", errors="replace",
                            buffering=1)
        _session.err = open(os.dup(2), "w", encoding=sys.stderr.encoding or "utf-8", errors="replace",
                            buffering=1)
    else:
        _session.saved_streams = (sys.stdout, sys.stderr)
        _session.out, _session.err = sys.stdout, sys.stderr
    terminal.file = _session.out
    to_log(log_path)


def to_log(log_path: Path) -> None:
    """Send the libraries' output to `log_path` (a run's log, once the run is known)."""
    session = _session
    if session is None or session.verbose or session.path == Path(log_path):
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    old, old_path, start = session.log, session.path, session.start
    session.log, session.path = _open_log(Path(log_path)), Path(log_path)
    if old is not None and old_path is not None:
        # What this command logged before the run existed (the engine starting) belongs to the run.
        old.flush()
        with open(old_path, encoding="utf-8", errors="replace") as earlier:
            earlier.seek(start)
            session.log.write(earlier.read())
    session.start = session.log.tell()
    if session.saved_fds:
        for fd in (1, 2):
            os.dup2(session.log.fileno(), fd)
    else:
        sys.stdout = sys.stderr = session.log
    if old is not None:
        old.close()


def reset() -> None:
    """Undo `configure`: the streams as they were, the log closed."""
    global _session
    session, _session = _session, None
    if session is None or session.verbose:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if session.saved_fds:
        for fd, saved in session.saved_fds.items():
            os.dup2(saved, fd)
            os.close(saved)
        for f in (session.out, session.err):
            f.close()
    elif session.saved_streams:
        sys.stdout, sys.stderr = session.saved_streams
    terminal.file = None  # back to following sys.stdout
    if session.log is not None:
        session.log.close()


def log_path() -> Path | None:
    """The log file receiving the libraries' output now (None: the console)."""
    return _session.path if _session else None


def error_line(text: str) -> None:
    """One line on the person's stderr, wherever the libraries' stderr goes."""
    stream = _session.err if _session and _session.err else sys.stderr
    print(text, file=stream, flush=True)


def write_log(text: str) -> None:
    """Text for the log only (a traceback the console shows as one line)."""
    if _session is not None and _session.log is not None:
        _session.log.write(text if text.endswith("\n") else text + "\n")


class _Steps(ProgressColumn):
    """`done/total` once a stage knows its total; nothing for a stage that only ticks."""

    def render(self, task: Task) -> Text:
        if task.total is None or task.fields.get("untold"):
            return Text("")
        return Text(f"{int(task.completed)}/{int(task.total)}")


class _Tick(SpinnerColumn):
    """A spinner while the stage runs, a tick once it is done (whatever its counts say)."""

    def render(self, task: Task) -> Any:
        return Text("✓", style="green") if task.fields.get("done") else super().render(task)


class _Lent:
    """The running stage's display lent to a stage's own bars: rich shows one live display at a
    time, and a stage's bars are removed when they end, leaving the stage's one line."""

    def __init__(self, bar: Progress) -> None:
        self._bar, self._tasks = bar, []

    def __enter__(self) -> "_Lent":
        return self

    def __exit__(self, *exc: Any) -> None:
        for task in self._tasks:
            self._bar.remove_task(task)

    def add_task(self, description: str, **kwargs: Any) -> TaskID:
        task = self._bar.add_task(f"  {description}", **kwargs)
        self._tasks.append(task)
        return task

    def update(self, task: TaskID, **kwargs: Any) -> None:
        self._bar.update(task, **kwargs)

    def advance(self, task: TaskID, advance: float = 1) -> None:
        self._bar.advance(task, advance)


def progress(*columns: Any) -> Progress:
    """A progress display on the terminal (inside a `stage`: that stage's); library prints are
    not pulled into it when calm."""
    if _stage is not None and not columns:
        return _Lent(_stage[0])  # type: ignore[return-value]
    calm = _session is not None and not _session.verbose
    return Progress(*(columns or (TextColumn("{task.description}"), BarColumn(), _Steps(), TimeElapsedColumn())),
                    console=terminal, redirect_stdout=not calm, redirect_stderr=not calm)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """One line for a stage while it runs (spinner, steps once `report`ed, time), ticked when done."""
    global _stage
    bar = progress(_Tick(), TextColumn("{task.description}"), BarColumn(), _Steps(), TimeElapsedColumn())
    with bar:
        task = bar.add_task(name, total=None)
        _stage = (bar, task)
        try:
            yield
            if bar.tasks[0].total is None:  # never told its steps: a full bar, no counts
                bar.update(task, total=1, completed=1, untold=True)
            bar.update(task, done=True)  # the counts stay as reported: 3/30 if it stopped at 3
        finally:
            _stage = None


def report(completed: int, total: int | None) -> None:
    """Steps of the stage now running (training steps, answered items); ignored outside a stage."""
    if _stage is not None:
        _stage[0].update(_stage[1], completed=completed, total=total)
