"""refilter and the review page decide seed copies as generation's rounds did: from the seeds the
run was grown from, re-thresholded without a model."""

from __future__ import annotations

import json

from core.config import PipelineConfig, dump_config
from core.records import Candidate
from core.store import RunDir, atomic_write_jsonl
from flows.refilter import StoredRun, refilter
from reports.outputs import read_ledger

REVIEW = "The headphones broke after two days and support never answered my emails."
SEED = {"id": "seed_sentiment", "instruction": "Classify the sentiment of the review as positive or negative.",
        "instances": [{"input": REVIEW, "output": "negative"}]}
ROWS = [  # id suffix, instruction, input, output
    ("copy", "Hyphenate 'txt' into 'hty' and shorten the digits.", REVIEW, "negative"),
    ("near", "Summarise the customer's message.", "The headphones broke after two days, support never answered.",
     "A complaint about broken headphones."),
    ("fresh", "Write a haiku about the first snow of winter.", "", "Silent flakes drifting down."),
]


def _run(tmp_path, kind: str) -> RunDir:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps(SEED) + "\n", encoding="utf-8")
    # No model signals: these rows carry no stored model scores, and refilter loads no model.
    cfg = PipelineConfig(generate={"seeds": seeds},
                         curate={"decontamination": {"eval_set": None},
                                 "quality": {"fluency": {"enabled": False}, "classifier": {"enabled": False}}})
    run = RunDir.create(tmp_path, "r1", dump_config(cfg), kind)
    cands = [Candidate(id=f"r1-{k}", instruction=i, input=x, output=o, finish_reason="stop") for k, i, x, o in ROWS]
    atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in cands])
    return run


def _reasons(run: RunDir) -> dict[str, list[str]]:
    return {r.id: r.reasons for r in read_ledger(run.file("ledger.parquet"))}


def test_refilter_of_a_generated_run_drops_seed_copies_and_moves_with_the_threshold(tmp_path):
    run = _run(tmp_path, "generate")
    new, _ = refilter(run, [])
    rows = {r.id: r for r in read_ledger(new.file("ledger.parquet"))}
    assert rows["r1-copy"].reasons == ["copies_seed_example"]
    assert rows["r1-copy"].meta["seed_copy"] == "seed_sentiment input"
    assert rows["r1-near"].reasons == [] and rows["r1-fresh"].reasons == []
    looser, _ = refilter(run, [("curate.seed_copy.threshold", 0.6)])  # the near copy now counts
    assert _reasons(looser) == {"r1-copy": ["copies_seed_example"], "r1-near": ["copies_seed_example"],
                                "r1-fresh": []}
    off, _ = refilter(run, [("seed_copy.enabled", False)])
    assert _reasons(off) == {"r1-copy": [], "r1-near": [], "r1-fresh": []}


def test_imported_data_has_no_seeds_to_copy(tmp_path):
    run = _run(tmp_path, "curate")  # `curate --input`: its curation had no seeds
    assert StoredRun(run).seed_tasks() == ()
    new, _ = refilter(run, [])
    assert _reasons(new)["r1-copy"] == []
