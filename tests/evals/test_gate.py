"""The gate: the candidate must clear the margin with the LOWER CI bound against every opponent,
and no secondary metric may regress beyond its tolerance. End-to-end cases build per-item values,
run the paired bootstrap and decide, as flows/evaluate.py does."""

import numpy as np
import pytest

from core.errors import GerminateError
from evals.bootstrap import Resampler, paired_delta_ci
from evals.gate import decide


def d(delta, low, high):
    return {"delta": delta, "ci_low": low, "ci_high": high}


def test_lower_bound_above_the_margin_promotes_and_says_so():
    decision = decide({"base": {"rouge_l": d(0.031, 0.012, 0.050)},
                       "champion r1": {"rouge_l": d(0.010, 0.002, 0.020)}}, "rouge_l", margin=0.0)
    assert decision["promote"] is True
    assert decision["reason"] == ("candidate beats base by +0.031 ROUGE-L (95% CI +0.012..+0.050 > margin 0) "
                                  "and beats champion r1 by +0.010 ROUGE-L (95% CI +0.002..+0.020 > margin 0)")
    assert decision["opponents"] == ["base", "champion r1"]
    assert [c["passed"] for c in decision["checks"]] == [True, True]


def test_beating_the_base_is_not_enough_when_the_champion_is_not_beaten():
    decision = decide({"base": {"rouge_l": d(0.2, 0.1, 0.3)},
                       "champion r1": {"rouge_l": d(0.004, -0.010, 0.018)}}, "rouge_l", margin=0.0)
    assert decision["promote"] is False
    assert decision["reason"].startswith("candidate does not clear champion r1: +0.004 ROUGE-L "
                                         "(95% CI -0.010..+0.018; the lower bound must exceed margin 0)")
    assert "(it beats base by +0.200" in decision["reason"]


def test_first_candidate_faces_the_base_and_is_not_promoted_for_free():
    # No "no champion yet -> promote": a candidate no better than the base stays out.
    decision = decide({"base": {"rouge_l": d(-0.01, -0.03, 0.01)}}, "rouge_l", margin=0.0)
    assert decision["promote"] is False
    assert "does not clear base" in decision["reason"]


@pytest.mark.parametrize("low, promote", [
    (0.05, False),                    # exactly at the margin: no evidence of improvement
    (0.75 - 0.70, False),             # 0.05000000000000004: at the margin up to float rounding
    (0.0501, True),                   # just above
    (0.0499, False),                  # just below
])
def test_the_lower_bound_at_the_margin(low, promote):
    decision = decide({"base": {"rouge_l": d(0.2, low, 0.3)}}, "rouge_l", margin=0.05)
    assert decision["promote"] is promote


def test_a_point_estimate_above_the_margin_is_not_enough_when_the_ci_crosses_it():
    decision = decide({"base": {"rouge_l": d(0.08, 0.03, 0.13)}}, "rouge_l", margin=0.05)
    assert decision["promote"] is False
    assert "95% CI +0.030..+0.130; the lower bound must exceed margin 0.05" in decision["reason"]


def test_one_decisive_item_cannot_promote():
    # 158 items, the candidate better on one: a mean delta above 0, but a third of the
    # bootstrap draws miss that item, so the lower bound is 0 and does not exceed margin 0.
    n = 158
    cand, base = np.zeros(n), np.zeros(n)
    cand[7] = 1.0
    draws = Resampler.create(n, 2000, seed=0, confidence=0.95)
    delta = paired_delta_ci((cand, np.ones(n)), (base, np.ones(n)), draws)
    assert delta["delta"] == pytest.approx(1 / n)
    assert delta["ci_low"] == 0.0
    assert decide({"base": {"rouge_l": delta}}, "rouge_l", margin=0.0)["promote"] is False
    # Broadly better on many items: the interval clears 0.
    cand[:40] = 1.0
    broad = paired_delta_ci((cand, np.ones(n)), (base, np.ones(n)), draws)
    assert broad["ci_low"] > 0.15
    assert decide({"base": {"rouge_l": broad}}, "rouge_l", margin=0.0)["promote"] is True


def test_lower_is_better_metric_reads_as_an_improvement():
    decision = decide({"base": {"heldout_loss": d(0.4, 0.3, 0.5)}}, "heldout_loss", margin=0.1)
    assert decision["promote"] is True
    assert "beats base by +0.400 held-out loss (an improvement: lower is better)" in decision["reason"]


def test_a_secondary_metric_regressing_beyond_its_tolerance_blocks():
    comparisons = {"base": {"rouge_l": d(0.1, 0.05, 0.15), "eos_rate": d(-0.08, -0.12, -0.04),
                            "constraint_accuracy": d(0.02, -0.01, 0.05)}}
    decision = decide(comparisons, "rouge_l", 0.0, {"eos_rate": 0.05, "constraint_accuracy": 0.05})
    assert decision["promote"] is False
    assert decision["reason"] == ("candidate beats base by +0.100 ROUGE-L (95% CI +0.050..+0.150 > margin 0); "
                                  "EOS rate -0.080 vs base regresses beyond tolerance 0.05")
    failed = [c for c in decision["checks"] if not c["passed"]]
    assert [(c["metric"], c["role"]) for c in failed] == [("eos_rate", "secondary")]


@pytest.mark.parametrize("eos_delta, promote", [(-0.05, True), (-0.0500001, False), (-0.02, True), (0.3, True)])
def test_secondary_tolerance_boundary(eos_delta, promote):
    comparisons = {"base": {"rouge_l": d(0.1, 0.05, 0.15), "eos_rate": d(eos_delta, None, None)}}
    assert decide(comparisons, "rouge_l", 0.0, {"eos_rate": 0.05})["promote"] is promote


def test_secondaries_within_tolerance_are_listed_in_the_reason():
    comparisons = {"base": {"rouge_l": d(0.1, 0.05, 0.15), "eos_rate": d(-0.02, -0.05, 0.0),
                            "constraint_accuracy": d(None, None, None)}}
    decision = decide(comparisons, "rouge_l", 0.0, {"eos_rate": 0.05, "constraint_accuracy": 0.05})
    assert decision["promote"] is True
    assert decision["reason"].endswith("; EOS rate -0.020 vs base within tolerance 0.05, "
                                       "prompt-level strict accuracy vs base n/a")


def test_the_primary_metric_is_not_its_own_secondary():
    comparisons = {"base": {"eos_rate": d(0.5, 0.4, 0.6)}}
    decision = decide(comparisons, "eos_rate", 0.0, {"eos_rate": 0.05})
    assert [c["role"] for c in decision["checks"]] == ["primary"]


def test_a_missing_champion_is_named_first():
    decision = decide({"base": {"rouge_l": d(0.1, 0.05, 0.15)}}, "rouge_l", 0.0,
                      champion_missing="champion r1 could not be loaded (its adapter directory /x does not exist)")
    assert decision["promote"] is True
    assert decision["reason"].startswith("champion r1 could not be loaded (its adapter directory /x does not exist): "
                                         "compared with the base only; candidate beats base by +0.100")


def test_no_value_for_the_primary_metric_does_not_promote():
    decision = decide({"base": {"constraint_accuracy": d(None, None, None)}}, "constraint_accuracy", 0.0)
    assert decision["promote"] is False
    assert decision["reason"] == "candidate has no prompt-level strict accuracy to compare with base"
    assert decide({"base": {}}, "judge_win_rate", 0.0)["reason"] == "candidate has no judge win rate to compare with base"


def test_judge_win_rate_as_primary_uses_the_improvement_over_one_half():
    decision = decide({"base": {"judge_win_rate": d(0.2, 0.05, 0.35)}}, "judge_win_rate", 0.0, confidence=0.9)
    assert decision["promote"] is True
    assert "beats base by +0.200 judge win rate (90% CI +0.050..+0.350 > margin 0)" in decision["reason"]


def test_bad_margin_or_no_opponent_is_an_error():
    with pytest.raises(GerminateError, match="margin"):
        decide({"base": {"rouge_l": d(0.1, 0.05, 0.15)}}, "rouge_l", margin=-0.1)
    with pytest.raises(GerminateError, match="opponent"):
        decide({}, "rouge_l", margin=0.0)
