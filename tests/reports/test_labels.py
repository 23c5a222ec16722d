"""Decisions export in the quality labeled-set format, split by the rule's hash of the id."""

from __future__ import annotations

import hashlib
import json

from core.overrides import Override
from reports.labels import LABELING_RULE, export_labels, split_of


def test_export_writes_the_rule_then_one_labeled_row_per_decision(tmp_path):
    decisions = [
        Override(id="n1-i00003-0", decision="drop", note="output answers another task", run_id="n1",
                 instruction="Classify the review.", input="Great phone.", output="긴급", source="vllm:embedded:x:chat"),
        Override(id="curate-1-x000004", decision="keep", run_id="curate-1", instruction="다음 단어의 반대말을 쓰세요.",
                 input="뜨겁다", output="차갑다", source="input:alpaca"),
    ]
    path = tmp_path / "labeled_review.jsonl"
    assert export_labels(decisions, path) == 2
    first, *rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert first == {"_labeling_rule": LABELING_RULE}
    assert [(r["label"], r["lang"], r["source"]) for r in rows] == [
        ("bad", "en", "vllm:embedded:x:chat:en"), ("good", "ko", "input:alpaca:ko")]
    assert rows[0]["note"] == "output answers another task" and rows[1]["note"] == "keep on the review page"
    assert set(rows[0]) == {"id", "source", "lang", "instruction", "input", "output", "label", "note", "split",
                            "run_id", "candidate_id"}
    for r in rows:
        expected = "dev" if int(hashlib.sha256(r["id"].encode()).hexdigest(), 16) % 2 == 0 else "test"
        assert r["split"] == expected == split_of(r["candidate_id"])
