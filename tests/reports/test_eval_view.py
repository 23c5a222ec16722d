"""The evaluation in the console, report.html and the germinate-eval artifact: the same rows."""

from __future__ import annotations

import re

from rich.console import Console

from core.store import RunDir, atomic_write_json
from reports import eval_view
from reports.console import print_eval
from reports.html_report import build_report

RESULT = {
    "eval_set": "seeds/eval.jsonl", "items": 158, "primary_metric": "rouge_l", "margin": 0.0, "confidence": 0.95,
    "subject": "candidate",
    "models": {"base": {"answers": "hit"}, "champion": {"answers": "hit"}, "candidate": {"answers": "miss"}},
    "scores": {"base": {"rouge_l": 0.043, "eos_rate": 0.0, "heldout_loss": 2.891},
               "champion": {"rouge_l": 0.2, "eos_rate": 1.0, "heldout_loss": 2.5},
               "candidate": {"rouge_l": 0.224, "eos_rate": 0.98, "heldout_loss": 2.418}},
    "intervals": {"base": {"rouge_l": [0.035, 0.052], "eos_rate": [0.0, 0.0], "heldout_loss": [2.8, 2.98]},
                  "champion": {"rouge_l": [0.18, 0.22], "eos_rate": [1.0, 1.0], "heldout_loss": [2.4, 2.6]},
                  "candidate": {"rouge_l": [0.2, 0.25], "eos_rate": [0.96, 1.0], "heldout_loss": [2.3, 2.5]}},
    "comparisons": {
        "base": {"rouge_l": {"delta": 0.181, "ci_low": 0.16, "ci_high": 0.2},
                 "eos_rate": {"delta": 0.98, "ci_low": 0.96, "ci_high": 1.0},
                 "heldout_loss": {"delta": 0.473, "ci_low": 0.4, "ci_high": 0.55}},
        "champion": {"rouge_l": {"delta": 0.024, "ci_low": 0.004, "ci_high": 0.045},
                     "eos_rate": {"delta": -0.02, "ci_low": -0.04, "ci_high": 0.0},
                     "heldout_loss": {"delta": 0.082, "ci_low": 0.03, "ci_high": 0.13}}},
    "judge": {"enabled": True, "model": "openai:judge",
              "base": {"counts": {"win": 9, "loss": 2, "tie": 1, "split": 140, "undecided": 6}, "n": 158,
                       "decided": 12, "win_rate": 0.792, "ci_low": 0.583, "ci_high": 0.958,
                       "lc_win_rate": 0.75, "lc_ci_low": 0.5, "lc_ci_high": 0.93},
              "champion": {"counts": {"win": 0, "loss": 0, "tie": 0, "split": 158, "undecided": 0}, "n": 158,
                           "decided": 0, "win_rate": None, "ci_low": None, "ci_high": None,
                           "lc_win_rate": None, "lc_ci_low": None, "lc_ci_high": None}},
    "decision": {"promote": True, "reason": "candidate beats base by +0.181 ROUGE-L (95% CI +0.160..+0.200 > margin 0)"},
}


def test_rows_carry_values_intervals_and_deltas():
    rows = {r["metric"]: r for r in eval_view.metric_rows(RESULT)}
    assert rows["rouge_l"]["candidate"]["text"] == "0.224 (0.200..0.250)"
    assert rows["rouge_l"]["vs_champion"]["text"] == "+0.024 (+0.004..+0.045)"
    assert rows["heldout_loss"]["label"] == "held-out loss (lower is better)"
    assert set(rows) == {"rouge_l", "eos_rate", "heldout_loss"}  # only metrics that were scored


def test_judge_lines_count_every_outcome_and_say_when_nothing_was_decided():
    base, champion = eval_view.judge_lines(RESULT)
    assert base == ("judge openai:judge vs base: 158 pairs: 12 decided (9 win, 2 loss, 1 tie, 140 split, 6 undecided); "
                    "win rate 0.792 (0.583..0.958) over 12 decided (95% CI), length-controlled 0.750 (0.500..0.930)")
    assert champion.endswith("0 decided (0 win, 0 loss, 0 tie, 158 split, 0 undecided); win rate n/a: no pair was decided")
    off = eval_view.judge_lines({"judge": {"enabled": False, "model": None}})
    assert off[0].startswith("judge: off (evaluate.judge is not configured")


def test_console_prints_deltas_with_cis_judge_missing_champion_and_reason():
    console = Console(record=True, width=250)
    print_eval(console, {**RESULT, "champion_missing": "champion r0 could not be loaded (gone)"})
    text = console.export_text()
    assert "candidate vs base" in text and "candidate vs champion" in text
    assert "+0.024 (+0.004..+0.045)" in text and "0.224 (0.200..0.250)" in text
    assert "140 split, 6 undecided" in text
    assert "champion r0 could not be loaded (gone): compared with the base only" in text
    assert "PROMOTED: candidate beats base by +0.181 ROUGE-L (95% CI +0.160..+0.200 > margin 0)" in text
    assert "answers reused from the answer cache: base, champion" in text


def test_artifact_rows_hold_the_same_numbers_and_the_reason():
    rows = eval_view.artifact_rows(RESULT)
    rouge = next(r for r in rows if r["metric"] == "rouge_l")
    assert rouge["delta_vs_base"] == "+0.181 (+0.160..+0.200)" and rouge["candidate"] == "0.224 (0.200..0.250)"
    assert rows[-1]["metric"] == "decision" and rows[-1]["base"] == "PROMOTED: " + RESULT["decision"]["reason"]
    assert all(list(r) == list(rows[0]) for r in rows)  # the same columns in every row
    assert any("140 split" in r.get("base", "") for r in rows if r["metric"] == "note")


def test_report_shows_deltas_with_cis_and_the_reason(tmp_path):
    from core.config import PipelineConfig, dump_config

    run = RunDir.create(tmp_path, "r1", dump_config(PipelineConfig()), "pipeline")
    atomic_write_json(run.file("eval.json"), {**RESULT, "champion_missing": "champion r0 could not be loaded (gone)"})
    html = build_report(run, tmp_path)
    assert "<th>candidate vs champion</th>" in html
    assert re.search(r"<td>ROUGE-L</td>.*?\+0.024 \(\+0.004..\+0.045\)", html, re.S)
    assert "champion r0 could not be loaded (gone): compared with the base only" in html
    assert "PROMOTED" in html and "95% CI +0.160..+0.200 &gt; margin 0" in html
    assert "140 split, 6 undecided" in html


def test_the_end_of_a_run_shows_the_deciding_deltas_in_a_few_lines():
    from reports.console import print_eval_brief

    console = Console(record=True, width=250)
    print_eval_brief(console, RESULT, "r1")
    lines = console.export_text().splitlines()
    assert lines[1] == ("candidate vs base, improvement with its interval: ROUGE-L +0.181 (+0.160..+0.200); "
                        "held-out loss +0.473 (+0.400..+0.550)")
    assert lines[2].startswith("candidate vs champion, improvement with its interval: ROUGE-L +0.024 (+0.004..+0.045)")
    assert lines[3].startswith("judge openai:judge vs base: 158 pairs: 12 decided")
    assert lines[-2] == "PROMOTED: " + RESULT["decision"]["reason"]
    assert lines[-1] == "every metric with its interval: germinate inspect r1 --eval"
    assert lines[5] == "answers reused from the answer cache: base, champion" and len(lines) == 8
    off = {**RESULT, "judge": {"enabled": False, "model": None}}
    console = Console(record=True, width=250)
    print_eval_brief(console, off, "r1")
    assert "judge: off (set evaluate.judge.model to have a judge)" in console.export_text().splitlines()
