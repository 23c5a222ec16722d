import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.config import PipelineConfig, dump_config, load_config
from core.records import LedgerRow
from core.store import RunDir, atomic_write_json
from evals import gate
from filters import drop_counts
from reports.html_report import build_report, funnel, write_report
from reports.outputs import write_ledger

SCRIPT = "<script>alert(1)</script>"
SECTIONS = ["Funnel", "Drops per reason", "Lengths", "Similarity", "Diversity", "Novelty", "Samples per reason",
            "Evaluation", "History of"]
NOVELTY = {"new_rows": 3, "pool_before": 41, "pool_after": 44, "new_pairs": 2, "dup_of_earlier_nights": 1,
           "dup_of_earlier_nights_share": 0.1429, "dup_of_seeds": 0, "dup_within_run": 1}


def ledger() -> list[LedgerRow]:
    def row(i, verdict, reasons=(), **kw):
        return LedgerRow(id=f"r-{i}", verdict=verdict, reasons=list(reasons), finish_reason="stop", **kw)

    return [
        row(1, "kept", instruction="Write a short poem about the sea.", output="Waves fold into foam.",
            similarity=0.21, neighbour_id="s-1", neighbour_text="Write a haiku."),
        row(2, "kept", instruction="다음 문장을 한 문장으로 요약하세요.", input="오늘은 비가 와서 집에 있었다.",
            output="비 때문에 집에 머물렀다.", similarity=0.1),
        row(3, "kept", instruction="Summarize the following stories in two sentences.", output="Two tales.",
            similarity=0.3),
        row(4, "dropped", ["near_duplicate"], instruction="Write a short poem about the ocean.",
            output="Blue.", similarity=0.86, neighbour_id="r-1", neighbour_text="<b>Write</b> a short poem"),
        row(5, "dropped", ["unparseable"], parse_error="no JSON object", raw=f"Sure! {SCRIPT}"),
        row(6, "dropped", ["instruction_too_short", "near_duplicate"], instruction="Poem.", output="Sea.",
            similarity=0.75),
        row(7, "dropped", ["eval_overlap"], instruction="Translate the sentence into French.",
            output="Bonjour.", similarity=0.4),
    ]


def make_run(root: Path, rows: list[LedgerRow] | None, threshold: float = 0.65) -> RunDir:
    cfg = load_config(None, [("curate.near_duplicate.threshold", threshold)], model=PipelineConfig)
    run = RunDir.create(root, "run-1", dump_config(cfg), "pipeline")
    if rows is not None:
        write_ledger(run.file("ledger.parquet"), rows)
        kept = sum(r.verdict == "kept" for r in rows)
        run.mark_stage("curate", seconds=1.0, generated=len(rows), kept=kept, dropped=len(rows) - kept,
                       drops_by_reason=drop_counts(rows), novelty=NOVELTY)
    return run


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("data")
    path = write_report(make_run(root, ledger()), root)
    return path, path.read_text(encoding="utf-8")


def test_report_is_written_with_every_section_and_inline_charts(report):
    path, html = report
    assert path.name == "report.html" and path.parent.name == "run-1"
    for heading in SECTIONS:
        assert re.search(rf"<h2[^>]*>{heading}", html), heading
    # funnel, drops, lengths, similarity, verb-noun rings; no history without a registry
    assert html.count("<svg") == 5


def test_novelty_figures_and_the_nights_table_are_shown(report):
    _, html = report
    assert "3 new rows kept; pool 41 → 44;" in html
    assert "2 verb–object pairs the pool and the seeds did not have" in html
    assert "14% of the generated rows dropped as duplicates of" in html
    assert re.search(r"<td>run-1</td><td>ok</td><td class=\"n\">7</td>\s*<td class=\"n\">3</td><td class=\"n\">44</td>",
                     html)


def test_drop_counts_appear_per_reason(report):
    _, html = report
    for reason, n in {"unparseable": 1, "instruction_too_short": 1, "near_duplicate": 2, "eval_overlap": 1}.items():
        assert re.search(rf"<td>{reason}</td>\s*<td class=\"n\">{n}</td>", html), reason


def test_threshold_comes_from_the_runs_config(report):
    _, html = report
    assert "near-duplicate threshold: 0.65" in " ".join(html.split())
    assert "near-duplicate threshold 0.65" in html  # the legend of the marked line


def test_teacher_text_is_escaped_not_executed(report):
    _, html = report
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Write&lt;/b&gt;" in html
    assert "다음 문장을 한 문장으로 요약하세요." in html  # Korean stays readable, not entity-encoded


def test_page_is_self_contained(report):
    _, html = report
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?:", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html  # not even SVG namespace URLs
    assert "<link" not in html and "@import" not in html


def test_funnel_counts_each_stage_passed():
    assert funnel(ledger()) == [("generated", 7), ("passed per-example checks", 5), ("passed dedup", 4),
                                ("kept", 3)]
    assert funnel([]) == [("generated", 0), ("passed per-example checks", 0), ("passed dedup", 0), ("kept", 0)]


def test_a_persons_drop_is_the_funnels_last_step():
    rows = [LedgerRow(id="a", instruction="x y z", output="o", verdict="dropped", reasons=["override_drop"]),
            LedgerRow(id="b", instruction="x y z", output="o", verdict="kept")]
    assert funnel(rows) == [("generated", 2), ("passed per-example checks", 2), ("passed dedup", 2), ("kept", 1)]


@pytest.mark.parametrize("rows, missing", [
    (None, "no ledger"),
    ([], "the ledger has no rows"),
    ([LedgerRow(id="x", verdict="dropped", reasons=["unparseable"], parse_error="bad", raw="?")],
     "no kept instruction"),
])
def test_missing_pieces_show_na_instead_of_failing(tmp_path, rows, missing):
    html = build_report(make_run(tmp_path, rows), tmp_path)
    assert missing in html
    assert "n/a: this run has no readable eval.json" in html
    for heading in SECTIONS:
        assert re.search(rf"<h2[^>]*>{heading}", html), heading


def test_eval_scores_and_registry_history(tmp_path):
    run = make_run(tmp_path, ledger())
    atomic_write_json(run.file("eval.json"), {
        "items": 26, "primary_metric": "rouge_l", "scores": {
            "base": {"rouge_l": 0.21, "heldout_loss": 2.5}, "candidate": {"rouge_l": 0.27, "heldout_loss": 2.1}},
        "decision": {"promote": True, "reason": "rouge_l beats base by 0.060"}})
    for i, score in enumerate([0.2, None, 0.27]):
        gate.record(tmp_path, {"run_id": f"night-{i}", "adapter": "a", "base_model": "b",
                               "scores": {"rouge_l": score}, "decision": {}}, promote=score == 0.27)
    html = build_report(run, tmp_path)
    assert re.search(r"<td>ROUGE-L</td>\s*<td class=\"n\">0.210</td>\s*<td class=\"n\">0.270</td>", html)
    assert "PROMOTED" in html and "rouge_l beats base by 0.060" in html
    assert html.count("<svg") == 6  # the history line chart joins the five ledger charts
    assert all(f"night-{i}" in html for i in range(3))


def test_corrupt_registry_is_reported_not_raised(tmp_path):
    run = make_run(tmp_path, ledger())
    gate.registry_path(tmp_path).write_text("{not json", encoding="utf-8")
    assert "corrupt registry" in build_report(run, tmp_path)


CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0", "--window-size=1200,3000"]


def render(page: Path, tmp: Path) -> tuple[Path, list[str]]:
    """Screenshot `page` in headless Chromium; return the PNG and the page's console lines."""
    png = tmp / "shot.png"
    done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}",
                           f"--screenshot={png}", page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=60)
    # Console messages (errors included) are logged as `...:INFO:CONSOLE:<line>] "msg", source: ...`.
    return png, [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
def test_chromium_renders_the_report_without_console_errors(report, tmp_path):
    png, console = render(report[0], tmp_path)
    assert png.is_file() and png.stat().st_size > 10_000
    assert console == []


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
def test_console_check_would_catch_a_script_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<p>x</p><script>undefinedFunction()</script>", encoding="utf-8")
    _, console = render(page, tmp_path)
    assert any("Uncaught ReferenceError" in line for line in console)


def test_a_run_that_kept_nothing_says_why_and_that_nothing_was_promoted(tmp_path):
    rows = [r for r in ledger() if r.verdict == "dropped"]
    run = make_run(tmp_path, rows)
    note = "training skipped: 0 of 4 candidates passed; top reasons: near_duplicate (2), unparseable (1)"
    run.update_status(status="completed", note=note, skipped=["tune", "evaluate"])
    html = build_report(run, tmp_path)
    assert f'<p class="note" id="note">{note}</p>' in html
    assert f"not evaluated, nothing promoted: {note}" in html
    assert "n/a: this run has no readable eval.json" not in html
