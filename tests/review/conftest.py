"""A curated run to review, made as a user would without any model: `curate --input` of a
hand-written file (tests/data/review/rows.jsonl: English and Korean, duplicates, drops)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.store import RunDir
from germinate.cli import main

ROWS = Path(__file__).resolve().parents[1] / "data" / "review" / "rows.jsonl"


@pytest.fixture()
def reviewed_run(tmp_path, capsys) -> RunDir:
    root = tmp_path / "root"
    assert main(["curate", "--input", str(ROWS), "--data-root", str(root)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    (path,) = (root / "runs").iterdir()
    return RunDir.open(root, str(path))
