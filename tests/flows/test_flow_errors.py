"""An error a user can fix, raised inside a Prefect flow, reaches the console as one line;
Prefect's own report of the failed flow (with the traceback) goes to the run's log.

A real `germinate` process, not `main()` under capsys: Prefect's console handler keeps the
stream it was configured with, so only file descriptors show what a person's terminal gets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.config import load_config
from core.store import RunDir
from flows.prepare import create_run

REPO = Path(__file__).resolve().parents[2]
PLANTED = "planted inside the flow: 설정 '금지어' is wrong"
# The CLI with the curate flow's decision step replaced by one that raises.
SCRIPT = f"""
import sys
import flows.curate
from core.errors import GerminateError

def planted(*a, **k):
    raise GerminateError({PLANTED!r})

flows.curate.decide_rows = planted
from germinate.cli import run
run(sys.argv[1:])
"""


def test_a_flows_germinate_error_is_one_line_on_stderr(tmp_path):
    root = tmp_path / "root"
    run = create_run(root, load_config(None), "generate", "flow-error")
    candidate = {"id": "flow-error-1", "run_id": "flow-error", "instruction": "Name a colour.", "input": "",
                 "output": "Red."}
    run.file("candidates.jsonl").write_text(json.dumps(candidate) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, "curate", "flow-error", "--data-root", str(root)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert lines[0].startswith(f"germinate: error: {PLANTED}"), lines[0]
    # The flow ran under the run's guard: the run says where it stopped; the traceback Prefect
    # logged is in the run's log.
    status = RunDir(root, "flow-error").status
    assert status["status"] == "failed" and status["error"] == PLANTED
    log = run.file("log.txt").read_text(encoding="utf-8")
    assert "Traceback" in log and PLANTED in log
