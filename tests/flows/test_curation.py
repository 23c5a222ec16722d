"""`curate --input` without Prefect writes exactly what the `curate` flow writes."""

from __future__ import annotations

import json
from pathlib import Path

from core.config import CurateConfig, PipelineConfig, dump_config
from core.inputs import read_candidates
from core.overrides import Override, save
from core.store import RunDir, atomic_write_jsonl
from flows.curate import curate_flow
from flows.curation import curate_without_pool
from reports.outputs import read_ledger

ROWS = Path(__file__).resolve().parents[1] / "data" / "review" / "rows.jsonl"


def _run(root: Path, run_id: str) -> RunDir:
    run = RunDir.create(root, run_id, dump_config(PipelineConfig()), "curate")
    candidates = read_candidates(ROWS, "same", "auto")  # same ids in both runs
    atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in candidates])
    return run


def test_the_prefect_free_path_writes_what_the_flow_writes(tmp_path):
    cfg = CurateConfig()
    save(tmp_path, Override(id="same-x000002", decision="keep", note="dawn is not night"))
    save(tmp_path, Override(id="same-x000012", decision="drop"))
    local, flowed = _run(tmp_path, "local"), _run(tmp_path, "flowed")
    card = {"source": str(ROWS)}
    summary = curate_without_pool(local, cfg, card)
    assert curate_flow(cfg, str(tmp_path), "flowed", use_pool=False, card=card) == summary
    assert read_ledger(local.file("ledger.parquet")) == read_ledger(flowed.file("ledger.parquet"))
    for name in ("data.jsonl", "alpaca.json", "README.md"):  # (the card names its run)
        assert local.file(name).read_text() == flowed.file(name).read_text().replace("run flowed", "run local"), name
    assert summary["drops_by_reason"]["override_drop"] == 1 and summary["kept"] == 7
    rows = {r.id: r for r in read_ledger(local.file("ledger.parquet"))}
    assert rows["same-x000002"].verdict == "kept" and rows["same-x000002"].meta["overruled_reasons"] == ["near_duplicate"]
    assert json.loads(local.file("alpaca.json").read_text())[1]["instruction"] == "Write a short poem about the sea at dawn."
