"""refilter (no teacher), inspect --diff / --export, runs: on a run built without any model."""

from __future__ import annotations

import json

import pytest

import generators.teachers
from core.config import CurateConfig, PipelineConfig, dump_config
from core.records import Candidate
from core.store import RunDir, atomic_write_jsonl
from filters import curate
from germinate.app import out
from germinate.cli import main
from reports.outputs import write_curated

TEXTS = [
    "Write a short poem about the sea at night.",
    "Write a short poem about the sea at dawn.",          # ROUGE-L 0.889 with the first
    "Write a short story about the sea at dawn and dusk.",  # 0.8 with the second, 0.7 with the first
    "List three uses of baking soda in the kitchen.",
]


@pytest.fixture()
def curated_run(tmp_path, monkeypatch):
    def no_teacher(*a, **k):
        raise AssertionError("refilter must not build a teacher")

    monkeypatch.setattr(generators.teachers, "make_teacher", no_teacher)
    # Curated without the reference LM (pure `curate`), as its config says: refilter then has
    # no model scores to need.
    no_lm = {"quality": {"fluency": {"enabled": False}, "ifd": {"enabled": False}, "classifier": {"enabled": False}}}
    run = RunDir.create(tmp_path, "r1", dump_config(PipelineConfig(curate=no_lm)), "curate")
    cands = [Candidate(id=f"r1-{i}", instruction=t, output="A fine answer here.") for i, t in enumerate(TEXTS)]
    atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in cands])
    cfg = CurateConfig(decontamination={"eval_set": None})
    run.mark_stage("curate", **write_curated(run, curate(cands, cfg), {}))
    return tmp_path, run


def _curate_stage(root, run_id):
    return RunDir.open(root, run_id).status["stages"]["curate"]


def test_refilter_counts_follow_the_threshold(curated_run, capsys):
    root, run = curated_run
    # At 0.7 only the second is dropped; the third scores exactly 0.7 against the first (kept:
    # Self-Instruct's rule is strictly greater) and is not compared with the dropped second.
    assert _curate_stage(root, "r1")["drops_by_reason"] == {"near_duplicate": 1}
    for threshold, expected_near in ((0.95, 0), (0.8, 1), (0.5, 2)):
        code = main(["refilter", "r1", "--data-root", str(root), "--set", f"near_duplicate.threshold={threshold}",
                     "--set", "decontamination.eval_set=null"])
        assert code == 0, capsys.readouterr().err
        new = sorted(p.name for p in (root / "runs").iterdir() if p.name.startswith("r1.refilter-"))[-1]
        stage = _curate_stage(root, new)
        assert stage["drops_by_reason"].get("near_duplicate", 0) == expected_near
        assert stage["generated"] == 4 and stage["kept"] == 4 - expected_near
    # The original run is untouched.
    assert _curate_stage(root, "r1")["kept"] == 3


def test_diff_export_and_runs(curated_run, capsys, tmp_path):
    root, run = curated_run
    assert main(["refilter", "r1", "--data-root", str(root), "--set", "near_duplicate.threshold=0.95",
                 "--set", "decontamination.eval_set=null"]) == 0
    other = next(p.name for p in (root / "runs").iterdir() if p.name.startswith("r1.refilter-"))
    capsys.readouterr()
    assert main(["inspect", "--diff", "r1", "--diff", other, "--data-root", str(root)]) == 0
    shown = capsys.readouterr().out
    assert "near_duplicate" in shown and "-1" in shown
    out = tmp_path / "dropped.jsonl"
    assert main(["inspect", "r1", "--export", str(out), "--data-root", str(root)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["reasons"] for r in rows] == [["near_duplicate"]]
    assert rows[0]["neighbour_id"] == "r1-0" and rows[0]["similarity"] > 0.7
    assert main(["runs", "--data-root", str(root)]) == 0
    assert "r1" in capsys.readouterr().out


def test_runs_shows_a_stopped_runs_stage_and_a_skipped_runs_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(out, "width", 250)  # one table row per line
    stopped = RunDir.create(tmp_path, "stopped", dump_config(PipelineConfig()), "pipeline")
    stopped.mark_stage("generate")
    stopped.update_status(status="interrupted", stage="curate", error="interrupted by SIGTERM")
    empty = RunDir.create(tmp_path, "empty", dump_config(PipelineConfig()), "pipeline")
    empty.mark_stage("curate", generated=3, kept=0, dropped=3, drops_by_reason={"unparseable": 3})
    empty.update_status(status="completed", note="training skipped: 0 of 3 candidates passed")
    capsys.readouterr()
    assert main(["runs", "--data-root", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    lines = {line.split()[1]: line for line in shown.splitlines() if line.startswith("│ ")
             and line.split()[1] in ("stopped", "empty")}
    assert set(lines) == {"stopped", "empty"}, shown
    assert "interrupted in curate" in lines["stopped"] and "interrupted by SIGTERM" in lines["stopped"]
    assert "completed" in lines["empty"] and "training skipped" in lines["empty"]
