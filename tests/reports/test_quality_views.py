"""The quality scores where a person reads them: `inspect --reason`, report.html, the card."""

from __future__ import annotations

from rich.console import Console

from core.config import CurateConfig, PipelineConfig, dump_config
from core.records import Candidate
from core.store import RunDir
from filters import curate
from filters.curate import row_facts, with_scores
from filters.quality import thresholds
from reports.console import inspect_run
from reports.html_report import build_report
from reports.outputs import read_ledger, write_curated

CANDS = [
    Candidate(id="a", instruction="Name the largest planet in our solar system.", output="Jupiter.", finish_reason="stop"),
    Candidate(id="b", instruction="다음 절소는 무어서 절찾오옴 무역으로 알겠지", input="어제 주문한 신발", output="고객 메시지",
              finish_reason="stop"),
    Candidate(id="c", instruction="Solve this word problem and provide a short summary.",
              input="The headphones broke after two days.", output="negative", finish_reason="stop"),
]


def _run(tmp_path, cands: list[Candidate] = CANDS) -> RunDir:
    cfg = PipelineConfig(curate={"decontamination": {"eval_set": None}, "quality": {"ifd": {"enabled": True}}})
    run = RunDir.create(tmp_path, "q1", dump_config(cfg), "curate")
    facts = with_scores(row_facts(cands, cfg.curate), [{"ifd.ratio": 0.3}, {"ifd.ratio": 0.7}, {"ifd.ratio": 1.14}])
    rows = curate(cands, cfg.curate, facts=facts)
    run.mark_stage("curate", **write_curated(run, rows, {}, quality=thresholds(cfg.curate.quality)))
    return run


def test_ledger_keeps_every_score_and_the_card_the_thresholds(tmp_path):
    run = _run(tmp_path)
    rows = read_ledger(run.file("ledger.parquet"))
    assert [r.reasons for r in rows] == [[], ["not_korean"], ["output_unrelated"]]
    assert rows[1].scores["korean.score.instruction"] < CurateConfig().quality.korean.min_score_per_syllable
    assert rows[2].scores["ifd.ratio"] == 1.14
    card = run.file("README.md").read_text(encoding="utf-8")
    assert "| ifd | yes | max_ifd=" in card and "| rating | no |" in card
    assert run.status["stages"]["curate"]["quality"]["korean"]["enabled"] is True


def test_inspect_shows_the_deciding_score(tmp_path):
    run = _run(tmp_path)
    console = Console(record=True, width=200)
    inspect_run(console, run, "output_unrelated", 5)
    text = console.export_text()
    assert "ifd.ratio=1.14" in text and "korean.score" not in text


def test_inspect_keeps_the_score_whole_on_a_narrow_terminal(tmp_path):
    # An 80-column terminal (or a pipe) and long texts: the text columns give way, not the score.
    long = CANDS[1].model_copy(update={"instruction": CANDS[1].instruction * 4, "output": CANDS[1].output * 12})
    run = _run(tmp_path, [CANDS[0], long, CANDS[2]])
    console = Console(record=True, width=80)
    inspect_run(console, run, "not_korean", 5)
    text = console.export_text()
    assert "korean.score.instruction=" in text and "korean.unknown.output=" in text, text


def test_report_has_a_histogram_per_rule_with_its_threshold(tmp_path):
    run = _run(tmp_path)
    html = build_report(run, tmp_path)
    section = html[html.index('id="quality"'):html.index('id="diversity"')]
    assert section.count("<svg") == 1
    for name in ("not_korean", "output_unrelated", "min_score_per_syllable", "max_ifd"):
        assert name in section
    samples = html[html.index('id="samples"'):]
    assert "ifd.ratio=1.14" in samples  # the deciding score next to the dropped row
