"""`germinate curate --input` on each supported format, through the real Prefect flow."""

from __future__ import annotations

import json

import pytest

from core.store import RunDir
from germinate.cli import main
from reports.outputs import read_ledger

ROWS = [
    ("Give three tips for staying healthy.", "", "Eat well, sleep enough and exercise daily."),
    ("Give three tips for staying healthy.", "", "Eat well, sleep enough and exercise daily."),
    ("다음 문장을 영어로 번역하세요.", "오늘 날씨가 좋네요.", "The weather is nice today."),
    ("Describe the picture in detail.", "", "A cat sits on a mat."),
    ("Summarize the text.", "The meeting moved to Friday.", "The meeting moved to Friday."),
]
# What each row must get, in order: kept, duplicate of row 0, Korean kept, blacklisted, copy.
# The heuristics are under test here; the reference LM's signals run in a slow test
# (tests/flows/test_quality_real.py).
NO_MODEL_SIGNALS = ["--set", "curate.quality.fluency.enabled=false", "--set", "curate.quality.ifd.enabled=false",
                    "--set", "curate.quality.classifier.enabled=false"]
EXPECTED = [[], ["exact_duplicate"], [], ["blacklisted_keyword"], ["output_copies_input"]]


def _write(tmp_path, fmt: str):
    if fmt == "alpaca-json":
        path = tmp_path / "data.json"
        path.write_text(json.dumps([{"instruction": i, "input": x, "output": o} for i, x, o in ROWS]))
    elif fmt == "messages":
        path = tmp_path / "chat.jsonl"
        path.write_text("".join(json.dumps({"messages": [
            {"role": "user", "content": i + (f"\n\n{x}" if x else "")},
            {"role": "assistant", "content": o}]}, ensure_ascii=False) + "\n" for i, x, o in ROWS))
    else:
        path = tmp_path / "tasks.jsonl"
        path.write_text("".join(json.dumps({"id": f"t{n}", "instruction": i, "instances": [
            {"input": x, "output": o}]}, ensure_ascii=False) + "\n" for n, (i, x, o) in enumerate(ROWS)))
    return path


@pytest.mark.parametrize("fmt", ["alpaca-json", "messages", "self-instruct"])
def test_curate_input_each_format(tmp_path, capsys, fmt):
    path = _write(tmp_path, fmt)
    code = main(["curate", "--input", str(path), "--data-root", str(tmp_path / "root"), *NO_MODEL_SIGNALS])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    (run_path,) = (tmp_path / "root" / "runs").iterdir()
    rows = read_ledger(RunDir.open(tmp_path / "root", str(run_path)).file("ledger.parquet"))
    reasons = [r.reasons for r in rows]
    if fmt == "messages":
        # Chat rows carry input inside the user turn, so the copy check cannot see it; the
        # instruction itself holds the input text instead.
        assert reasons[:4] == EXPECTED[:4]
    else:
        assert reasons == EXPECTED
    assert rows[1].neighbour_id == rows[0].id
    assert "kept" in captured.out and "run directory" in captured.out
