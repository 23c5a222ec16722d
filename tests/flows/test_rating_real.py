"""The optional LLM rating's mechanics against a real vLLM OpenAI-compatible server of the
embedded teacher: every row is sent, the reply (JSON held to the schema by structured
outputs) is parsed into a 1-5 score and a rationale, stored, and thresholded.

The 135M teacher is far too weak to rate well (why the rating is off by default); this test
checks the plumbing, not the judgement.
"""

from __future__ import annotations

import json

import pytest

from core import runtime_env
from core.config import TeacherConfig
from core.store import RunDir
from generators.serve import vllm_server
from germinate.cli import main
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow

ROWS = [("Name the largest planet in our solar system.", "", "Jupiter"),
        ("다음 문장을 영어로 번역하세요.", "오늘 날씨가 좋네요.", "The weather is nice today."),
        ("Write a haiku about the first snow.", "", "banana banana banana"),
        ("Classify the sentiment of the review.", "I loved every minute of it.", "positive")]


def test_rating_through_a_real_server(tmp_path):
    runtime_env.configure(tmp_path)
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"instruction": i, "input": x, "output": o}, ensure_ascii=False) + "\n"
                            for i, x, o in ROWS), encoding="utf-8")
    with vllm_server(TeacherConfig(backend="openai"), log_path=tmp_path / "server.log", startup_timeout_s=900) as url:
        code = main(["curate", "--input", str(data), "--data-root", str(tmp_path / "root"),
                     "--set", "curate.decontamination.eval_set=null",
                     "--set", "curate.quality.fluency.enabled=false", "--set", "curate.quality.ifd.enabled=false",
                     "--set", "curate.quality.classifier.enabled=false",
                     "--set", "curate.quality.rating.enabled=true",
                     "--set", "curate.quality.rating.teacher.backend=openai",
                     "--set", f"curate.quality.rating.teacher.base_url={url}"])
    assert code == 0
    (run_path,) = (tmp_path / "root" / "runs").iterdir()
    run = RunDir.open(tmp_path / "root", run_path.name)
    rows = read_ledger(run.file("ledger.parquet"))
    min_rating = run.status["stages"]["curate"]["quality"]["rating"]["min_rating"]
    for row in rows:
        score = row.scores["rating.score"]  # structured outputs: every reply parses
        assert 1 <= score <= 5 and isinstance(row.meta["rating_rationale"], str)
        assert ("low_rating" in row.reasons) == (score < min_rating)
