import pytest
from pydantic import BaseModel

from core.config import CurateConfig, QualityConfig
from filters.curate import REASONS
from filters.quality import QUALITY_REASONS, SIGNALS, Rule, quality_reasons, rules_for, thresholds

SECTION_FIELDS = {name for name, f in QualityConfig.model_fields.items()
                  if isinstance(f.default, BaseModel) and hasattr(f.default, "enabled")}


def test_every_signal_has_a_config_section_and_every_section_a_signal():
    assert {s.name for s in SIGNALS} == SECTION_FIELDS
    for signal in SIGNALS:
        section = getattr(QualityConfig(), signal.name)
        for rule in signal.rules:
            assert isinstance(getattr(section, rule.threshold), float), (signal.name, rule.threshold)
            assert all(k.startswith(f"{signal.name}.") for k in rule.keys)


def test_reasons_derive_from_the_signals_in_pipeline_order():
    assert QUALITY_REASONS == ("degenerate_text", "not_korean", "disfluent_instruction", "disfluent_output",
                               "output_unrelated", "classified_low_quality", "language_mismatch", "low_rating")
    # After the per-example checks, before the set-level steps.
    assert REASONS.index("degenerate_text") > REASONS.index("degenerate_repetition")
    assert REASONS.index("low_rating") < REASONS.index("exact_duplicate")
    assert [r.threshold for r in rules_for("not_korean")] == ["min_score_per_syllable", "max_unknown_share"]


def test_a_rule_reads_the_worst_of_its_keys():
    upper = Rule("x", "max_x", ("a.instruction", "a.output"), upper=True)
    assert upper.worst({"a.instruction": 0.2, "a.output": 0.9}) == 0.9
    assert upper.fires({"a.instruction": 0.2, "a.output": 0.9}, 0.5)
    assert not upper.fires({"a.instruction": 0.2}, 0.5)
    assert not upper.fires({}, 0.5)  # nothing scored: nothing to drop for
    lower = Rule("y", "min_y", ("b",), upper=False)
    assert lower.fires({"b": -7.0}, -5.5) and not lower.fires({"b": -5.5}, -5.5)


def test_scores_past_each_threshold_give_their_reason_and_disabled_signals_none():
    q = QualityConfig()
    bad = {"degenerate.letters.instruction": 0.0, "korean.score.output": -9.0,
           "fluency.instruction_nll": q.fluency.max_instruction_nll + 1, "fluency.output_nll": q.fluency.max_output_nll + 1,
           "ifd.ratio": q.ifd.max_ifd + 0.5, "classifier.prob_good": 0.0, "language.share": 0.0, "rating.score": 1.0}
    rating_on = q.model_copy(update={"rating": q.rating.model_copy(update={"enabled": True}),
                                     "ifd": q.ifd.model_copy(update={"enabled": True})})
    assert quality_reasons(bad, rating_on) == list(QUALITY_REASONS)
    assert "low_rating" not in quality_reasons(bad, q)  # rating is off by default
    assert "output_unrelated" not in quality_reasons(bad, q)  # and IFD (beside the classifier)
    all_off = q.model_copy(update={s.name: getattr(q, s.name).model_copy(update={"enabled": False}) for s in SIGNALS})
    assert quality_reasons(bad, all_off) == []


def test_thresholds_in_effect_are_recorded_per_signal():
    t = thresholds(QualityConfig(ifd={"enabled": True, "max_ifd": 0.9}))
    assert t["ifd"] == {"enabled": True, "max_ifd": 0.9}
    assert t["classifier"] == {"enabled": True, "min_prob": QualityConfig().classifier.min_prob}
    assert t["rating"]["enabled"] is False and "min_rating" in t["rating"]


def test_unknown_signal_and_out_of_range_threshold_are_config_errors():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="extra"):
        CurateConfig(quality={"sparkle": {"enabled": True}})
    with pytest.raises(ValidationError):
        CurateConfig(quality={"korean": {"max_unknown_share": 1.5}})
    with pytest.raises(ValidationError):
        CurateConfig(quality={"ifd": {"max_ifd": 0}})
