"""The tiled lm_head NLL (core/token_nll.py) against the textbook formula."""

import pytest

from core.token_nll import head_nlls


@pytest.mark.parametrize("softcap", [None, 30.0])
@pytest.mark.parametrize("n", [1, 511, 512, 1030])  # under, at and over one chunk of positions
def test_head_nlls_equal_log_softmax_over_the_vocabulary(n, softcap):
    # The tiled online softmax must give what the textbook formula gives, tile edges included:
    # positions under, at and over one tile, and a vocabulary of two whole tiles and a part
    # (the buffer is reused, so a stale row or column would show here).
    import torch

    g = torch.Generator().manual_seed(n)
    states = torch.randn(n, 16, generator=g)
    weight = torch.randn(9000, 16, generator=g) * 3
    targets = torch.randint(0, 9000, (n,), generator=g)
    logits = states @ weight.T
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    expected = torch.logsumexp(logits, -1) - logits[torch.arange(n), targets]
    got = head_nlls(states, targets, weight, softcap)
    assert got.shape == (n,)
    assert torch.allclose(got, expected, atol=1e-4), (got - expected).abs().max()
