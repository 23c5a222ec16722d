"""refilter re-thresholds the quality signals from the ledger's stored scores: no model loads."""

from __future__ import annotations

import pytest

import generators.teachers
from core.config import CurateConfig, PipelineConfig, dump_config
from core.errors import GerminateError
from core.records import Candidate
from core.store import RunDir, atomic_write_jsonl
from filters import curate
from filters.curate import row_facts, with_scores
from filters.quality import reference_lm
from flows.refilter import refilter
from germinate.cli import main
from reports.outputs import read_ledger, write_curated

ROWS = [  # instruction, output, the IFD the reference LM gave this row (stored scores)
    ("Name the largest planet in our solar system.", "Jupiter.", 0.32),
    ("Explain in simple terms what inflation is.", "Prices in general go up over time.", 0.87),
    ("Solve this word problem and provide a short summary.", "negative", 1.11),
    ("Write a haiku about the first snow of winter.", "Silent flakes drifting down.", 0.97),
]


@pytest.fixture()
def scored_run(tmp_path, monkeypatch):
    def no_model(*a, **k):
        raise AssertionError("refilter must not load a model")

    monkeypatch.setattr(reference_lm.ReferenceLM, "load", no_model)
    monkeypatch.setattr(generators.teachers, "make_teacher", no_model)
    # IFD on (off by default) and no classifier: these rows carry IFD and fluency scores only.
    cfg = PipelineConfig(curate={"decontamination": {"eval_set": None},
                                 "quality": {"ifd": {"enabled": True}, "classifier": {"enabled": False}}})
    run = RunDir.create(tmp_path, "r1", dump_config(cfg), "curate")
    cands = [Candidate(id=f"r1-{i}", instruction=t, output=o, finish_reason="stop") for i, (t, o, _) in enumerate(ROWS)]
    atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in cands])
    # As curate_flow stores them: statistical scores from the row facts, model scores merged in.
    facts = with_scores(row_facts(cands, cfg.curate), [{"ifd.ratio": ifd, "fluency.instruction_nll": 4.0,
                                                        "fluency.output_nll": 3.0} for *_, ifd in ROWS])
    run.mark_stage("curate", **write_curated(run, curate(cands, cfg.curate, facts=facts), {}))
    return tmp_path, run


def _reasons(run: RunDir) -> list[list[str]]:
    return [r.reasons for r in read_ledger(run.file("ledger.parquet"))]


def test_stored_scores_decide_and_a_threshold_change_moves_verdicts(scored_run):
    root, run = scored_run
    assert _reasons(run) == [[], [], ["output_unrelated"], []]
    stricter, summary = refilter(run, [("curate.quality.ifd.max_ifd", 0.9)])
    assert _reasons(stricter) == [[], [], ["output_unrelated"], ["output_unrelated"]]
    assert summary["quality"]["ifd"] == {"enabled": True, "max_ifd": 0.9}
    off, _ = refilter(run, [("quality.ifd.enabled", False)])  # the short form works too
    assert _reasons(off) == [[], [], [], []]
    # Scores travel to the new ledger unchanged.
    assert [r.scores["ifd.ratio"] for r in read_ledger(off.file("ledger.parquet"))] == [ifd for *_, ifd in ROWS]


def test_cli_refilter_with_a_quality_threshold(scored_run, capsys):
    root, run = scored_run
    code = main(["refilter", "r1", "--data-root", str(root), "--set", "curate.quality.ifd.max_ifd=0.3"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "output_unrelated" in out.out and "kept" in out.out
    new = next(p for p in (root / "runs").iterdir() if p.name.startswith("r1.refilter-"))
    assert _reasons(RunDir.open(root, new.name)) == [["output_unrelated"]] * 3 + [["output_unrelated"]]


def test_bad_threshold_and_unknown_signal_are_one_line_errors(scored_run, capsys):
    root, _ = scored_run
    for setting, needle in (("curate.quality.ifd.max_ifd=-1", "curate.quality.ifd.max_ifd"),
                            ("curate.quality.sparkle.max=1", "unknown config key 'curate.quality.sparkle'")):
        code = main(["refilter", "r1", "--data-root", str(root), "--set", setting])
        err = capsys.readouterr().err
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_a_model_signal_without_stored_scores_is_an_error_not_a_pass(tmp_path):
    cfg = CurateConfig(decontamination={"eval_set": None}, quality={"fluency": {"enabled": False}, "ifd": {"enabled": False},
                                                                    "classifier": {"enabled": False}})
    run = RunDir.create(tmp_path, "r2", dump_config(PipelineConfig(curate=cfg)), "curate")
    cands = [Candidate(id="r2-0", instruction="Name a colour.", output="Red.")]
    atomic_write_jsonl(run.file("candidates.jsonl"), [c.model_dump() for c in cands])
    run.mark_stage("curate", **write_curated(run, curate(cands, cfg), {}))
    with pytest.raises(GerminateError, match="curate.quality.ifd has no stored scores"):
        refilter(run, [("curate.quality.ifd.enabled", True)])
