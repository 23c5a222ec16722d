"""The calm console: germinate's lines on the terminal, everything else in the log file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core import console_logging

REPO = Path(__file__).resolve().parents[2]

NOISY = textwrap.dedent("""
    import logging, os, subprocess, sys, warnings
    from pathlib import Path
    from core import console_logging
    log = Path(sys.argv[1])
    console_logging.configure(log, verbose=sys.argv[2] == "verbose")
    print("a library print")
    sys.stderr.write("Loading shards: 100%|##########| 1/1\\r\\n")
    os.write(2, b"[W1201 utils.cpp:68] a C++ warning\\n")
    warnings.warn("a FutureWarning from a library", FutureWarning)
    logging.getLogger("vllm").warning("a vLLM warning")
    subprocess.run([sys.executable, "-c", "print('a child process')"], check=True)
    with console_logging.stage("tune"):
        console_logging.report(3, 30)
    with console_logging.stage("generate"):
        with console_logging.progress() as bar:  # a stage's own bar, shown inside the stage's line
            job = bar.add_task("instructions", total=4)
            bar.update(job, completed=4)
    console_logging.terminal.print("germinate's own table")
    console_logging.to_log(log.with_name("run.log"))
    print("after the run started")
    console_logging.error_line("germinate: error: one line")
    console_logging.reset()
    print("restored")
""")
LIBRARY_LINES = ["a library print", "Loading shards", "a C++ warning", "a FutureWarning", "a vLLM warning",
                 "a child process"]


def _run(tmp_path, mode):
    return subprocess.run([sys.executable, "-c", NOISY, str(tmp_path / "germinate.log"), mode],
                          cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_library_output_goes_to_the_log_and_ours_to_the_terminal(tmp_path):
    done = _run(tmp_path, "calm")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "germinate: error: one line\n"
    assert "germinate's own table" in done.stdout and done.stdout.endswith("restored\n")
    assert "tune" in done.stdout and "3/30" in done.stdout  # the steps reported
    assert "generate" in done.stdout and "instructions" not in done.stdout  # one line per stage
    for line in LIBRARY_LINES + ["after the run started"]:
        assert line not in done.stdout, line
    first = (tmp_path / "germinate.log").read_text()
    run_log = (tmp_path / "run.log").read_text()
    for line in LIBRARY_LINES:
        assert line in first and line in run_log, line  # the run's log holds what came before it
    assert "after the run started" in run_log and "after the run started" not in first
    assert "restored" not in run_log


def test_verbose_leaves_everything_on_the_console(tmp_path):
    done = _run(tmp_path, "verbose")
    assert done.returncode == 0, done.stderr
    both = done.stdout + done.stderr
    for line in LIBRARY_LINES + ["germinate's own table", "after the run started"]:
        assert line in both, line
    assert not (tmp_path / "germinate.log").exists()


def test_in_memory_streams_are_swapped_and_restored(tmp_path, capsys):
    console_logging.configure(tmp_path / "g.log")
    try:
        print("library text")
        console_logging.terminal.print("ours")
        console_logging.error_line("germinate: error: x")
    finally:
        console_logging.reset()
    captured = capsys.readouterr()
    assert captured.out == "ours\n" and captured.err == "germinate: error: x\n"
    assert "library text" in (tmp_path / "g.log").read_text()
    print("back")
    assert capsys.readouterr().out == "back\n"


def test_an_unexpected_error_is_one_line_with_the_traceback_in_the_log(tmp_path, capsys, monkeypatch):
    import flows.curation
    from germinate.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("a bug\nwith two lines")

    monkeypatch.setattr(flows.curation, "curate_without_pool", broken)
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"instruction": "Name a primary colour.", "input": "", "output": "Red."}\n')
    assert main(["curate", "--input", str(rows), "--data-root", str(tmp_path / "root")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: a bug with two lines" in err
    (run,) = (tmp_path / "root" / "runs").iterdir()
    assert "Traceback" in (run / "log.txt").read_text() and str(run / "log.txt") in err


@pytest.mark.parametrize("argv", [["curate", "--input", "/no/such/file"], ["curate"], ["run", "--set", "x"]])
def test_errors_stay_one_line_on_stderr(tmp_path, argv):
    done = subprocess.run([sys.executable, "-m", "germinate", *argv, "--data-root", str(tmp_path)], cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("germinate: error:")
    assert done.stdout == ""
