"""Sliders come from the config model: every numeric curate setting with its bounds, none else."""

from __future__ import annotations

from pydantic import Field

from core.config import CurateConfig
from core.config.base import Strict
from reports.review_settings import threshold_settings


def test_every_numeric_curate_setting_gets_a_slider_within_its_bounds():
    by_key = {s["key"]: s for s in threshold_settings(CurateConfig())}
    assert by_key["near_duplicate.threshold"] == {"key": "near_duplicate.threshold", "value": 0.7,
                                                  "min": 0.0, "max": 1.0, "step": 0.01}
    assert by_key["decontamination.ngram"]["min"] == 1 and by_key["decontamination.ngram"]["max"] == 64
    assert by_key["instruction_length.min_words"]["step"] == 1
    assert "near_duplicate.exact_max_pool" not in by_key  # a speed knob, not a threshold
    assert "near_duplicate.include_input" not in by_key  # booleans are not sliders
    for s in by_key.values():
        assert s["min"] <= s["value"] <= s["max"], s


def test_a_new_threshold_gets_its_slider_without_touching_the_page():
    class Signal(Strict):
        max_nll: float = Field(4.5, gt=0.0)
        batch_size: int = Field(16, ge=1)

    class WithQuality(Strict):
        quality: Signal = Signal()

    (only,) = threshold_settings(WithQuality())
    assert only == {"key": "quality.max_nll", "value": 4.5, "min": 0.0, "max": 9.0, "step": 0.09}
