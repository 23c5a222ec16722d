"""Bad input to the review commands, and a damaged override file anywhere: one line, exit 2,
nothing written, no earlier decision lost."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core import overrides
from core.overrides import Override
from germinate.cli import main

ROWS = str(Path(__file__).resolve().parents[1] / "data" / "review" / "rows.jsonl")


def _one_line_error(capsys, code: int, needle: str) -> None:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("germinate: error:") and needle in err, err


def test_review_of_an_unknown_run_or_of_nothing(reviewed_run, capsys, tmp_path):
    root = str(reviewed_run.data_root)
    _one_line_error(capsys, main(["review", "no-such-run", "--data-root", root]), "no such run: no-such-run")
    _one_line_error(capsys, main(["review", "--data-root", str(tmp_path / "empty")]), "no curated run")
    _one_line_error(capsys, main(["review", "--port", "70000", "--data-root", root]), "--port")


def test_review_on_a_port_in_use(reviewed_run, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["review", reviewed_run.run_id, "--port", str(port), "--data-root", str(reviewed_run.data_root)])
    _one_line_error(capsys, code, f"port {port} on 127.0.0.1 is in use")


@pytest.mark.parametrize("command", [
    ["review"], ["refilter", "RUN"], ["curate", "--input", ROWS], ["overrides", "export", "OUT"], ["overrides", "list"]])
def test_a_damaged_override_file_stops_every_command_and_stays_as_it_was(reviewed_run, capsys, command):
    root = reviewed_run.data_root
    overrides.save(root, Override(id=f"{reviewed_run.run_id}-x000001", decision="drop", note="junk"))
    path = overrides.overrides_path(root)
    path.write_bytes(path.read_bytes() + b'{"id": "x", "decision": \n')  # a hand edit gone wrong
    before, runs_before = path.read_bytes(), sorted(p.name for p in (root / "runs").iterdir())
    argv = [reviewed_run.run_id if a == "RUN" else str(root / "out.jsonl") if a == "OUT" else a for a in command]
    _one_line_error(capsys, main([*argv, "--data-root", str(root)]), f"{path}:2: damaged override line")
    assert path.read_bytes() == before
    assert sorted(p.name for p in (root / "runs").iterdir()) == runs_before  # no run directory made
    assert not (root / "out.jsonl").exists()


def test_export_with_no_decisions(reviewed_run, capsys, tmp_path):
    _one_line_error(capsys, main(["overrides", "export", str(tmp_path / "x.jsonl"), "--data-root",
                                  str(reviewed_run.data_root)]), "no overrides")
    assert not (tmp_path / "x.jsonl").exists()
