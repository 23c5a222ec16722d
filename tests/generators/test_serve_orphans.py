"""A server germinate starts does not outlive germinate, even when germinate is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _dead(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status  # exited, waiting to be reaped by init


def test_child_started_with_the_hook_dies_with_its_killed_parent():
    code = ("import subprocess, sys, time; sys.path.insert(0, %r); "
            "from generators.serve import _die_with_parent; "
            "p = subprocess.Popen(['sleep', '300'], preexec_fn=_die_with_parent, start_new_session=True); "
            "print(p.pid, flush=True); time.sleep(300)") % str(REPO)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert not _dead(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while not _dead(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dead(child)
