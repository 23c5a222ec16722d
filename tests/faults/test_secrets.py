"""The API key stays a secret, the teacher's server stays on loopback, no shell is spawned.

A fake key is planted in the environment variable TeacherConfig.api_key_env names; a real
`germinate curate --input` (Prefect's temporary server included, ~20-30 s) and a failing
openai-backend `germinate run` must not write it to any file under the data root nor print it.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from germinate.config import TeacherConfig

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("germinate", "generators", "filters", "flows", "tuning", "evals")
ALPACA = [
    {"instruction": "Name three rivers in Asia.", "input": "", "output": "The Ganges, the Mekong and the Yangtze."},
    {"instruction": "Write a haiku about rain on a tin roof.", "input": "",
     "output": "Drops drum on the tin, a soft and steady rhythm, night hums back to sleep."},
    {"instruction": "Translate the sentence into Korean.", "input": "Good morning, everyone.",
     "output": "여러분, 좋은 아침입니다."},
]


def germinate(args: list[str], env: dict[str, str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "germinate.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli_env(planted_key, tmp_path):
    """The test process's environment with the key also in the default variable, and
    nothing that points Prefect at an existing server or home."""
    name, key = planted_key
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({TeacherConfig().api_key_env: key, name: key, "PYTHONPATH": str(REPO), "COLUMNS": "120"})
    env.pop("GERMINATE_HOME", None)
    return env


def test_curate_via_cli_never_writes_or_prints_the_key(cli_env, planted_key, tmp_path, find_secret):
    _, key = planted_key
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ALPACA), encoding="utf-8")
    root = tmp_path / "root"
    done = germinate(["curate", "--input", str(data), "--data-root", str(root)], cli_env, tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list((root / "runs").glob("curate-*/ledger.parquet")), "curate wrote no ledger"
    assert key not in done.stdout and key not in done.stderr
    assert find_secret(root, key) == []
    assert find_secret(root, key[-12:]) == []  # not even a tail of it


def test_failing_openai_run_never_writes_or_prints_the_key(cli_env, planted_key, tmp_path, dead_port, find_secret):
    name, key = planted_key
    root = tmp_path / "root"
    url = f"http://127.0.0.1:{dead_port}/v1"
    done = germinate(["run", "--data-root", str(root), "--set", "generate.teacher.backend=openai",
                      "--set", f"generate.teacher.base_url={url}", "--set", f"generate.teacher.api_key_env={name}"],
                     cli_env, tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith("germinate: error:") and done.stderr.count("\n") == 1, done.stderr
    assert url in done.stderr
    assert key not in done.stdout and key not in done.stderr
    assert not (root / "runs").exists()  # it failed before creating a run
    assert find_secret(root, key) == [] if root.exists() else True


def test_teacher_server_binds_to_loopback_by_default(monkeypatch):
    from germinate import cli
    from generators import serve

    assert inspect.signature(serve.vllm_server).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(cli.teacher_serve).parameters["host"].default.default == "127.0.0.1"
    assert inspect.signature(cli.server_start).parameters["host"].default.default == "127.0.0.1"
    assert TeacherConfig().base_url.startswith("http://127.0.0.1:")
    if "torch" not in sys.modules:  # server_command only asks torch whether CUDA is there
        fake = types.ModuleType("torch")
        fake.cuda = types.SimpleNamespace(is_available=lambda: False)
        monkeypatch.setitem(sys.modules, "torch", fake)
    cmd = serve.server_command(TeacherConfig(), "/models/m", "127.0.0.1", 8123)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert all(isinstance(part, str) for part in cmd)  # an argument list, not a shell string


def _python_sources():
    for top in SOURCE_DIRS:
        yield from sorted((REPO / top).rglob("*.py"))


def test_no_shell_in_subprocesses():
    offenders = []
    pattern = re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\(")
    for path in _python_sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_key_is_read_from_the_environment_not_stored_in_config():
    fields = TeacherConfig.model_fields
    assert "api_key" not in fields and "api_key_env" in fields
