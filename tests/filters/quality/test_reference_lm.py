"""The reference LM's scores from token NLLs (pure); the model itself runs in
tests/flows/test_quality_real.py."""

import pytest

from core.config import QualityConfig
from filters.quality import quality_reasons
from filters.quality.reference_lm import MIN_OUTPUT_TOKENS, scores_from_nlls


def test_instruction_fluency_skips_the_opening_token():
    scores = scores_from_nlls({"instruction": [12.0, 2.0, 4.0], "output": [1.0]})
    assert scores["fluency.instruction_nll"] == 3.0
    assert scores_from_nlls({"instruction": [9.0], "output": [1.0]})["fluency.instruction_nll"] == 9.0


def test_a_short_output_has_no_fluency_score_but_an_ifd():
    short = scores_from_nlls({"instruction": [3.0, 3.0], "output": [14.0], "output_alone": [10.0]})
    assert "fluency.output_nll" not in short and short["ifd.ratio"] == pytest.approx(1.4)
    long = scores_from_nlls({"instruction": [3.0, 3.0], "output": [2.0] * MIN_OUTPUT_TOKENS,
                             "output_alone": [4.0] * MIN_OUTPUT_TOKENS})
    assert long["fluency.output_nll"] == 2.0 and long["ifd.ratio"] == 0.5


def test_no_groups_no_scores():
    assert scores_from_nlls({}) == {}
    assert "ifd.ratio" not in scores_from_nlls({"instruction": [1.0, 2.0], "output": [1.0]})


def test_reasons_from_lm_scores():
    q = QualityConfig()
    unrelated = scores_from_nlls({"instruction": [3.0, 3.0], "output": [6.0], "output_alone": [4.0]})
    assert quality_reasons(unrelated, q) == []  # IFD is off by default (beside the classifier)
    ifd_on = q.model_copy(update={"ifd": q.ifd.model_copy(update={"enabled": True})})
    assert quality_reasons(unrelated, ifd_on) == ["output_unrelated"]
    garbled = scores_from_nlls({"instruction": [3.0] + [q.fluency.max_instruction_nll + 2] * 4, "output": [1.0],
                                "output_alone": [2.0]})
    assert quality_reasons(garbled, q) == ["disfluent_instruction"]
