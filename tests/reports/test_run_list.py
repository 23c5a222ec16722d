"""`germinate runs` never cuts a run id short, at any terminal width, and --json is complete."""

from __future__ import annotations

import io
import json

from rich.console import Console

from core.config import PipelineConfig, dump_config
from core.store import RunDir
from germinate.cli import main
from reports.run_list import list_runs

IDS = ["20261201-105347-019243", "curate-20261201-110551-715524",
       "20261201-105347-019243.refilter-20261201-111111-123456"]


def _root(tmp_path):
    for i, run_id in enumerate(IDS):
        run = RunDir.create(tmp_path, run_id, dump_config(PipelineConfig()), "pipeline")
        run.mark_stage("curate", generated=44, kept=17 + i, dropped=27 - i, drops_by_reason={"near_duplicate": 6})
        run.update_status(status="completed")
    return tmp_path


def _render(root, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), force_terminal=False)
    list_runs(console, root)
    return console.file.getvalue()


def test_run_ids_are_whole_at_80_columns_and_narrower(tmp_path):
    root = _root(tmp_path)
    for width in (80, 60):
        text = _render(root, width)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines), text
        assert "…" not in text
        for run_id in IDS:  # each on one line, uncut
            assert any(run_id in line for line in lines), (width, run_id, text)
    assert "kept" in _render(root, 80) and "19" in _render(root, 80)  # the counts fit beside them
    wide = _render(root, 160)
    assert "created" in wide and "2026-" in wide  # columns come back when there is room


def test_an_id_wider_than_the_terminal_folds_but_is_never_cut(tmp_path):
    text = _render(_root(tmp_path), 40)
    assert "…" not in text
    joined = "".join(line.strip("│ ") for line in text.splitlines())
    assert IDS[2] in joined


def test_json_rows(tmp_path, capsys):
    root = _root(tmp_path)
    assert main(["runs", "--json", "--data-root", str(root)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in rows] == sorted(IDS)
    assert {r["kept"] for r in rows} == {17, 18, 19}
    assert rows[0]["drops_by_reason"] == {"near_duplicate": 6} and rows[0]["status"] == "completed"
