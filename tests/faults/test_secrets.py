"""The API key stays a secret, the teacher's server stays on loopback, no shell is spawned.

A fake key is planted in the environment variable TeacherConfig.api_key_env names; a real
`germinate curate --input` (Prefect's temporary server included, ~20-30 s) and a failing
openai-backend `germinate run` must not write it to any file under the data root nor print it.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from pathlib import Path

from core.config import TeacherConfig

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("germinate", "generators", "filters", "flows", "tuning", "evals")


# Both CLI runs are started in the background by conftest.py when collection finishes.

def test_curate_via_cli_never_writes_or_prints_the_key(background_cli, find_secret):
    run, key = background_cli.runs["curate"], background_cli.key
    code, out, err = run.wait(timeout=300)
    assert code == 0, err[-2000:]
    assert list((run.root / "runs").glob("curate-*/ledger.parquet")), "curate wrote no ledger"
    assert (run.root / ".prefect").is_dir()  # Prefect's own files are searched too
    assert key not in out and key not in err
    assert find_secret(run.root, key) == []
    assert find_secret(run.root, key[-12:]) == []  # not even a tail of it


def test_failing_openai_run_never_writes_or_prints_the_key(background_cli, find_secret):
    run, key = background_cli.runs["failing_run"], background_cli.key
    code, out, err = run.wait(timeout=120)
    assert code == 2, err[-2000:]
    assert err.startswith("germinate: error:") and err.count("\n") == 1, err
    assert run.url in err
    assert key not in out and key not in err
    assert not (run.root / "runs").exists()  # it failed before creating a run
    assert find_secret(run.root, key) == []


def _option_default(path: tuple[str, ...], name: str):
    """The default of option `name` of the CLI command at `path` (e.g. teacher serve)."""
    import typer

    from germinate import cli  # importing the CLI registers every command on its app

    command = typer.main.get_command(cli.app)
    for part in path:
        command = command.commands[part]
    return next(p.default for p in command.params if p.name == name)


def test_teacher_server_binds_to_loopback_by_default(monkeypatch):
    from generators import serve

    assert inspect.signature(serve.vllm_server).parameters["host"].default == "127.0.0.1"
    assert _option_default(("teacher", "serve"), "host") == "127.0.0.1"
    assert _option_default(("server", "start"), "host") == "127.0.0.1"
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
