"""`germinate` command line. Problems a user can fix print one line on stderr and exit 2.

Ctrl-C and SIGTERM (`kill`, systemd, a cancelled Prefect run) take one path: `Interrupted`,
raised in the main thread, so every `with` block and `finally` unwinds (the run is marked
"interrupted" with its stage, Dask workers and vLLM servers stop); then every child process
(Prefect's temporary API server among them) is ended and the process exits without Python's
slow exit hooks. With SIGTERM's default action the process died on the spot instead, leaving
that server running and status.json saying "running".
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import traceback
from contextlib import contextmanager
from typing import Iterator, NoReturn

import typer

try:  # typer >= 0.26 vendors its own click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc

from core import console_logging
from core.errors import GerminateError
from germinate.app import app

# Importing the command modules registers their commands on the one app, in this order.
from germinate import pipeline_commands  # noqa: F401  # isort: skip
from germinate import ops_commands  # noqa: F401  # isort: skip
from germinate import review_commands  # noqa: F401  # isort: skip

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(SystemExit):
    """A stop signal as an exception; `signal` says which, the exit code is 128 + it.

    A SystemExit rather than a KeyboardInterrupt: Typer turns a KeyboardInterrupt into a bare
    exit code, losing which run stopped where, and an uncaught SystemExit still exits with
    the right code and no traceback. Prefect and `RunDir.guard` treat it as a crash/interrupt.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signal = signum


_stopping = False


def _raise_interrupted(signum: int, frame) -> None:
    """The first stop signal raises `Interrupted` in the main thread; another one, while the
    first is being cleaned up, has the default effect (the process ends at once)."""
    global _stopping
    if _stopping:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _stopping = True
    raise Interrupted(signum)


@contextmanager
def stop_cleanly_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise `Interrupted` while the block runs (main thread only; an
    inherited 'ignore', e.g. under nohup, is respected); the previous handlers come back after.

    Inside a flow Prefect's own SIGTERM handler answers first: it records the flow run as
    crashed, puts this handler back and sends the signal again, which then raises here.
    """
    global _stopping
    _stopping = False
    previous = {}
    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _raise_interrupted)
    except ValueError:  # not the main thread: signals cannot be handled here
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    try:
        with stop_cleanly_on_signals():
            return _main(argv)
    finally:
        console_logging.reset()  # the streams as they were (tests call main() many times)


def _main(argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    # Errors go to the person's stderr even while the libraries' stderr goes to a log file.
    say = console_logging.error_line
    try:
        # Not standalone: errors come here; an explicit exit (--help) returns its code.
        code = command.main(args=argv if argv is not None else sys.argv[1:], prog_name="germinate",
                            standalone_mode=False)
    except GerminateError as exc:
        say(f"germinate: error: {exc}")
        return 2
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "usage: germinate COMMAND ...")
        return 0
    except click_exc.UsageError as exc:
        say(f"germinate: error: {exc.format_message()}")
        return 2
    except click_exc.ClickException as exc:
        say(f"germinate: error: {exc.format_message()}")
        return 2
    except OSError as exc:  # a full disk, a read-only data root: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        say(f"germinate: error: {exc.strerror or exc}{where}")
        return 2
    except Interrupted as exc:
        where = "".join(f"; {note}" for note in getattr(exc, "__notes__", []))
        say(f"germinate: interrupted by {signal.Signals(exc.signal).name}{where}")
        return 128 + exc.signal
    except KeyboardInterrupt:  # outside the signal handler's reach (another thread's handler)
        say("germinate: interrupted")
        return 130
    except Exception as exc:
        log = console_logging.log_path()
        if log is None:  # --verbose, or before any log: the traceback as Python prints it
            raise
        console_logging.write_log(traceback.format_exc())
        say(f"germinate: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
            f"(traceback in {log})")
        return 1
    return code if isinstance(code, int) else 0


def run(argv: list[str] | None = None) -> NoReturn:
    """The `germinate` command: `main`, then exit with its code."""
    code = main(argv)
    # On exit the interpreter's last garbage collections walk every object Prefect, pydantic,
    # torch and vLLM made: 9 of the 11 s a SIGTERMed run took to exit on a loaded 2-core
    # machine were spent there (gc_collect_main; 2.2 s in all without it). Nothing left needs
    # collecting, so they are frozen out of it; the exit hooks still run (Prefect stops its
    # temporary server in one).
    gc.freeze()
    # The exit hooks that stop Prefect's temporary server and flush its events worker log
    # ("Stopping temporary server", "EventsWorker - Still processing items") after the
    # console is the person's again: a second line under an error's one line. The run's
    # outcome is said already; only Prefect's errors may still reach the console.
    # (The events worker logs under its class name, not under "prefect": so every logger.)
    logging.disable(logging.WARNING)
    if code > 128:  # stopped by a signal: the run is marked, its outcome said
        _end_children_and_exit(code)
    sys.exit(code)


# How long the servers a stopped run started (Prefect's temporary API server, a vLLM engine
# process, Dask workers) get to end on SIGTERM before they are killed.
CHILDREN_GRACE_S = 3.0


def _end_children_and_exit(code: int) -> NoReturn:
    """End every process this one started, then exit at once, skipping the exit hooks.

    By the time a stop signal's exception has unwound, status.json says "interrupted" and the
    one line is printed (0.5 s after SIGTERM, measured under load); what was left were the
    exit hooks: Prefect stopping its temporary server and draining its events and API log
    workers to it, vLLM's shutdown. On a loaded 2-core machine they took 8.7 of 9.2 s, and the
    run's promise is a stop within 10 s. Nothing they send is needed: the flow run was marked
    crashed by Prefect's own signal handler, the run's files are written atomically. So the
    children get SIGTERM (uvicorn shuts down cleanly on it), then SIGKILL after the grace.
    """
    import psutil

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    # The outcome's one line is said. While the server ends, Prefect's log and event workers
    # still run and print "All connection attempts failed" straight to stderr: a second line.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        children = []
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=CHILDREN_GRACE_S)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=CHILDREN_GRACE_S)
    os._exit(code)


if __name__ == "__main__":
    run()
