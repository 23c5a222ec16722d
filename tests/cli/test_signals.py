"""SIGTERM and Ctrl-C stop a command cleanly: the run is marked "interrupted" with its stage,
the exit code is 128 + the signal, and no child process is left (Prefect's temporary API
server, a Dask LocalCluster's workers). A real Prefect flow in a real `germinate` process; no model is loaded
(tests/integration/test_kill_resume_real.py does this with the real pipeline).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
# Liveness bounds for a loaded 2-core machine, not speed assertions.
READY_TIMEOUT_S = 240
EXIT_TIMEOUT_S = 60

# `germinate` with one extra command: a run whose flow sleeps, inside the same `failing` guard
# and entry point (`run`) the real commands use.
CHILD = textwrap.dedent("""
    import faulthandler, signal, sys, time
    # A stop that hangs says where: the test sends SIGUSR1 before giving up (every thread's stack).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    from pathlib import Path
    from core.store import RunDir
    from germinate.app import app, failing, start
    from germinate.cli import run

    @app.command("sleep-in-a-flow")
    def sleep_in_a_flow(data_root: Path, ready: Path, runner: str) -> None:
        root = start(data_root)
        from prefect import flow  # after start(): Prefect reads its settings on import
        from core.config import ClusterConfig
        from flows.cluster import scheduler

        @flow(name="sleeper")
        def sleeper() -> None:
            ready.write_text("ready")
            time.sleep(600)

        run = RunDir.create(root, "r1", "{}\\n", "pipeline")
        with failing(run), scheduler(ClusterConfig(runner=runner, workers=1)):
            sleeper()

    if __name__ == "__main__":  # Dask's workers are spawned: they import this file again
        run(["sleep-in-a-flow", *sys.argv[1:]])
""")


def _as_from_a_terminal() -> None:
    """The child starts with SIGINT's default disposition, as a command typed in a terminal does.
    A suite started in the background by a non-interactive shell (`make test &`, a CI job
    runner) has SIGINT ignored, every child inherits that, and germinate rightly leaves an
    inherited 'ignore' alone (cli.stop_cleanly_on_signals): Ctrl-C then never reached the run,
    which was the SIGINT test's load-bound 'flake' (the child's stacks showed it still in its
    flow 60 s after the signal)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _is_prefect_server(proc: psutil.Process) -> bool:
    try:
        return "prefect.server.api.server:create_app" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


@pytest.mark.parametrize("signum, runner", [(signal.SIGTERM, "local"), (signal.SIGINT, "local"),
                                            (signal.SIGTERM, "dask")])
def test_a_signal_stops_the_run_cleanly_and_leaves_no_process(tmp_path, signum, runner):
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    ready = tmp_path / "ready"
    # The child configures Prefect under its own data root and starts its own temporary server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "GERMINATE_HOME"}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "data"), str(ready), runner], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=_as_from_a_terminal)
    launched = time.monotonic()
    try:
        deadline = launched + READY_TIMEOUT_S
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the flow never started"
            time.sleep(0.2)
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert any(_is_prefect_server(p) for p in tree), "no temporary Prefect server to stop"
        if runner == "dask":  # its nanny and worker processes, beside the server
            assert len(tree) >= 3, [p.cmdline() for p in tree]

        started = time.monotonic()
        print(f"\nflow running after {started - launched:.1f} s")
        os.kill(proc.pid, signum)  # the process only, as `kill` or Prefect's runner does
        try:
            _, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGUSR1)  # faulthandler: the stacks of the hung stop
            time.sleep(2)
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            # While a run works, fd 2 is the run's log (core.console_logging): the stacks are there.
            logs = "".join(f"\n--- {p}\n{p.read_text(errors='replace')[-6000:]}"
                           for p in sorted((tmp_path / "data").rglob("*"))
                           if p.suffix in (".txt", ".log"))
            pytest.fail(f"no exit {EXIT_TIMEOUT_S} s after {signal.Signals(signum).name}; stderr:\n"
                        + err.decode(errors="replace")[-3000:] + logs)
        exited = time.monotonic()
        gone, alive = psutil.wait_procs(tree, timeout=EXIT_TIMEOUT_S)
        print(f"{signal.Signals(signum).name}: exited after {exited - started:.1f} s, "
              f"every child gone after {time.monotonic() - started:.1f} s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert alive == [], [p.cmdline() for p in alive]
    assert proc.returncode == 128 + signum, err.decode(errors="replace")[-3000:]
    name = signal.Signals(signum).name
    last = err.decode(errors="replace").strip().splitlines()[-1]
    assert last == (f"germinate: interrupted by {name}; run r1 interrupted in stage generate; "
                    "continue it with: germinate resume r1")
    status = json.loads((tmp_path / "data" / "runs" / "r1" / "status.json").read_text(encoding="utf-8"))
    assert (status["status"], status["stage"], status["error"]) == ("interrupted", "generate", f"interrupted by {name}")
