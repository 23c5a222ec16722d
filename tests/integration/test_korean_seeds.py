"""A Korean-only seed file yields Korean candidates that are not dropped for language."""

from __future__ import annotations

import json

import pytest

from core.language import detect_language
from core.paths import DEFAULT_SEEDS
from core.records import load_tasks
from core.store import RunDir
from germinate.cli import main
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow


def test_korean_only_seeds_give_korean_candidates(tmp_path, capsys):
    korean = [t for t in load_tasks(DEFAULT_SEEDS) if detect_language(t.instruction) == "ko"]
    assert len(korean) >= 20
    seeds = tmp_path / "ko.jsonl"
    seeds.write_text("".join(json.dumps(t.model_dump(), ensure_ascii=False) + "\n" for t in korean))
    # Generation and curation only (`generate`, then `curate RUN`): tuning is tested elsewhere.
    # One round of six requests (~18 candidates) shows the language; the rounds themselves
    # are tested in tests/flows/test_generate_rounds.py.
    code = main(["generate", "--data-root", str(tmp_path), "--seeds", str(seeds), "--n", "6",
                 "--set", "generate.requests_per_round=6", "--set", "generate.max_rounds=1"])
    assert code == 0, capsys.readouterr().err[-2000:]
    (run_path,) = (tmp_path / "runs").iterdir()
    assert main(["curate", run_path.name, "--data-root", str(tmp_path)]) == 0
    rows = read_ledger(RunDir.open(tmp_path, run_path.name).file("ledger.parquet"))
    hangul = [r for r in rows if r.instruction and detect_language(r.instruction) == "ko"]
    assert hangul, "the teacher produced no Korean instruction from Korean seeds"
    # Korean is an allowed language by default: none of them is dropped for language alone
    # because of its script (an English or garbled output can still be, and says so).
    for r in hangul:
        if "wrong_language" in r.reasons:
            assert detect_language(r.output) not in ("ko", None), (r.instruction, r.output)
