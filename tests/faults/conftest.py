"""Shared setup for the fault-injection tests.

`GERMINATE_FAULT_TRIALS` sets how many seeded trials the randomised fault tests run (20 by
default, more under `make soak`).

The two real `germinate` CLI runs of test_secrets.py (one starts Prefect's temporary server,
~20-30 s) are started in the background as soon as collection finishes, so they overlap the
other tests instead of adding to the wall time; the tests then wait for their results.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Looks like a real key; every test that plants it checks it never leaks.
FAKE_KEY = "sk-germinate-FAULT-TEST-3f9a1c77d2e84b06"
KEY_ENV = "GERMINATE_FAULT_TEST_API_KEY"


@pytest.fixture
def trials() -> int:
    return int(os.environ.get("GERMINATE_FAULT_TRIALS", "20"))


@pytest.fixture
def planted_key(monkeypatch) -> tuple[str, str]:
    """(env var name, key): a fake API key in an env var only these tests use."""
    monkeypatch.setenv(KEY_ENV, FAKE_KEY)
    return KEY_ENV, FAKE_KEY


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_port() -> int:
    return free_port()


def files_containing(root: Path, needle: str) -> list[str]:
    """Every file under `root` whose bytes contain `needle`."""
    return [str(p) for p in Path(root).rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


@pytest.fixture
def find_secret():
    return files_containing


# --- background CLI runs for test_secrets.py ----------------------------------------------------

ALPACA = [
    {"instruction": "Name three rivers in Asia.", "input": "", "output": "The Ganges, the Mekong and the Yangtze."},
    {"instruction": "Write a haiku about rain on a tin roof.", "input": "",
     "output": "Drops drum on the tin, a soft and steady rhythm, night hums back to sleep."},
    {"instruction": "Translate the sentence into Korean.", "input": "Good morning, everyone.",
     "output": "여러분, 좋은 아침입니다."},
]


@dataclass
class CliRun:
    root: Path
    proc: subprocess.Popen
    out: Path
    err: Path
    url: str = ""

    def wait(self, timeout: float) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        return code, self.out.read_text(errors="replace"), self.err.read_text(errors="replace")


class BackgroundCli:
    """`germinate curate --input` and a failing openai `germinate run`, with the key planted in
    the variable the config names (the default OPENAI_API_KEY and our own)."""

    TESTS = {"curate": "test_secrets.py::test_curate_via_cli_never_writes_or_prints_the_key",
             "failing_run": "test_secrets.py::test_failing_openai_run_never_writes_or_prints_the_key"}

    def __init__(self, wanted: list[str]) -> None:
        from core.config import TeacherConfig

        self.key = FAKE_KEY
        self.dir = Path(tempfile.mkdtemp(prefix="germinate-secrets-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.pop("GERMINATE_HOME", None)
        env.update({TeacherConfig().api_key_env: FAKE_KEY, KEY_ENV: FAKE_KEY, "PYTHONPATH": str(REPO),
                    "COLUMNS": "120"})
        self.runs: dict[str, CliRun] = {}
        if "curate" in wanted:
            data = self.dir / "in.jsonl"
            data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ALPACA), encoding="utf-8")
            self.runs["curate"] = self._start("curate", ["curate", "--input", str(data)], env)
        if "failing_run" in wanted:
            url = f"http://127.0.0.1:{free_port()}/v1"
            self.runs["failing_run"] = self._start("failing_run", [
                "run", "--set", "generate.teacher.backend=openai", "--set", f"generate.teacher.base_url={url}",
                "--set", f"generate.teacher.api_key_env={KEY_ENV}"], env)
            self.runs["failing_run"].url = url

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> CliRun:
        root = self.dir / name / "root"
        root.parent.mkdir(parents=True)
        out, err = root.parent / "stdout.txt", root.parent / "stderr.txt"
        with out.open("wb") as o, err.open("wb") as e:
            proc = subprocess.Popen([sys.executable, "-m", "germinate.cli", *args, "--data-root", str(root)],
                                    cwd=root.parent, env=env, stdout=o, stderr=e)
        return CliRun(root, proc, out, err)

    def stop(self) -> None:
        for run in self.runs.values():
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


_CLI = pytest.StashKey[BackgroundCli]()


def pytest_collection_finish(session):
    wanted = [name for name, test in BackgroundCli.TESTS.items()
              if any(item.nodeid.endswith(test) for item in session.items)]
    if wanted:
        session.config.stash[_CLI] = BackgroundCli(wanted)


def pytest_unconfigure(config):
    cli = config.stash.get(_CLI, None)
    if cli is not None:
        cli.stop()


@pytest.fixture(scope="session")
def background_cli(pytestconfig) -> BackgroundCli:
    cli = pytestconfig.stash.get(_CLI, None)
    if cli is None:  # collected some other way: start them now
        cli = pytestconfig.stash[_CLI] = BackgroundCli(list(BackgroundCli.TESTS))
    return cli
