"""The end-of-run table: the main drop reasons on the terminal, every reason in `inspect`."""

from __future__ import annotations

from rich.console import Console

from core.store import RunDir
from reports.console import SUMMARY_REASONS, print_summary

# A weak night: many reasons, in pipeline order (as curation records them), counts not sorted.
DROPS = {"unparseable": 23, "instruction_too_short": 23, "blacklisted_keyword": 2, "wrong_language": 6,
         "output_copies_input": 16, "not_korean": 29, "disfluent_instruction": 54,
         "classified_low_quality": 143, "exact_duplicate": 42, "copies_seed_example": 116}


def _printed(tmp_path, drops: dict[str, int]) -> list[str]:
    run = RunDir.create(tmp_path, "n1", "{}\n", "pipeline")
    run.mark_stage("curate", generated=241, kept=2, dropped=239, drops_by_reason=drops)
    console = Console(record=True, width=100)
    print_summary(console, run)
    return console.export_text().splitlines()


def test_the_table_lists_the_most_frequent_reasons_in_pipeline_order_and_says_where_the_rest_are(tmp_path):
    lines = _printed(tmp_path, DROPS)
    listed = [r for r in DROPS if any(f"  {r} " in line for line in lines)]
    assert SUMMARY_REASONS == 5
    # The five largest, in the order the pipeline applies them; the five smallest are left out.
    assert listed == ["not_korean", "disfluent_instruction", "classified_low_quality",
                      "exact_duplicate", "copies_seed_example"]
    assert any("5 more reasons: germinate inspect n1" in line for line in lines)


def test_a_night_with_few_reasons_lists_them_all(tmp_path):
    lines = _printed(tmp_path, {"unparseable": 3, "near_duplicate": 1, "not_korean": 1, "refusal": 1,
                                "eval_overlap": 2})
    assert all(any(f"  {r} " in line for line in lines)
               for r in ("unparseable", "near_duplicate", "not_korean", "refusal", "eval_overlap"))
    assert not any("more reasons" in line for line in lines)
