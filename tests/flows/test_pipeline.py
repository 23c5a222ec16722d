"""The pipeline's zero-kept outcome line (the flow itself runs in tests/integration and
tests/flows/test_nightly_deployment.py)."""

from __future__ import annotations

from flows.pipeline import nothing_kept_line


def test_nothing_kept_line_names_the_top_three_reasons_most_frequent_first():
    curated = {"generated": 9, "kept": 0, "dropped": 9,
               "drops_by_reason": {"unparseable": 2, "output_too_short": 7, "near_duplicate": 3, "blacklisted": 1}}
    assert nothing_kept_line(curated) == \
        "0 of 9 candidates passed; top reasons: output_too_short (7), near_duplicate (3), unparseable (2)"


def test_nothing_kept_line_with_no_candidates():
    assert nothing_kept_line({"generated": 0, "kept": 0, "drops_by_reason": {}}) == \
        "0 of 0 candidates passed; top reasons: none recorded"
