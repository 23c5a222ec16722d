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


class _CharTokenizer:
    """Characters as token ids: enough to feed a tiny random model (no download)."""

    bos_token_id, pad_token_id = 1, 0

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        return {"input_ids": [2 + ord(ch) % 60 for ch in text]}


def test_pooled_features_are_the_hidden_states_output_hidden_states_numbers():
    # An inner layer is read with a forward hook instead of asking for every layer's states;
    # the features must be exactly the ones `output_hidden_states` gives, at every index
    # (0 = embeddings, the last = after the final norm), and the NLLs must not change.
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from filters.quality.reference_lm import ReferenceLM

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=3,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=8)
    lm = ReferenceLM(Gemma3ForCausalLM(config).eval(), _CharTokenizer(), max_field_tokens=12, batch_size=2)
    rows = [("Name a colour.", "", "Blue is a colour."), ("Add the numbers.", "2 and 3", "The sum is five."),
            ("Say hi.", "", "Hello there, friend.")]

    def every_layer(ids, mask, pool_layer):
        body = lm.model.base_model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        return body, body.hidden_states[pool_layer]

    for layer in range(config.num_hidden_layers + 1):
        nlls, hooked = lm.nlls_and_features(rows, pool_layer=layer)
        lm._body, read = every_layer, lm._body
        expected_nlls, expected = lm.nlls_and_features(rows, pool_layer=layer)
        lm._body = read
        assert nlls == expected_nlls
        assert all(len(f) == 16 for f in hooked)
        assert hooked == expected, layer
