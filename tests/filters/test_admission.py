"""Self-Instruct's admission rule, shared by curation and the pool index."""

from __future__ import annotations

import random

import pytest

from core.config import CurateConfig
from core.records import Candidate
from filters import curate
from filters.admission import BATCH, PRIOR, admit_in_order
from filters.similarity import TokenEncoder, rouge_l

WORDS = "write explain list summarize translate the a story poem email short long about three five cats rain".split()


def test_a_text_is_admitted_only_at_or_below_the_threshold():
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in ["write a poem about cats", "write a poem about the cats", "cook dinner"]]
    verdicts = admit_in_order(codes, [(None, 0.0)] * 3, [True] * 3, threshold=0.7)
    assert [v.admitted for v in verdicts] == [True, False, True]
    assert verdicts[1].source == BATCH and verdicts[1].neighbour == 0
    assert verdicts[1].score == pytest.approx(rouge_l("write a poem about cats", "write a poem about the cats"))


def test_a_dropped_text_is_not_compared_with_later_ones():
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in ["write a poem", "write a poem now", "write a poem now please"]]
    # The first is not eligible (another check dropped it): the second meets nothing before it.
    verdicts = admit_in_order(codes, [(None, 0.0)] * 3, [False, True, True], threshold=0.7)
    assert [v.admitted for v in verdicts] == [False, True, False]
    assert verdicts[2].neighbour == 1


def test_on_a_tie_the_text_from_before_the_batch_stays():
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in ["a b", "a c"]]
    assert rouge_l("a b", "a c") == 0.5
    verdicts = admit_in_order(codes, [(None, 0.0), (3, 0.5)], [True, True], threshold=0.7)
    assert (verdicts[1].source, verdicts[1].neighbour, verdicts[1].score) == (PRIOR, 3, 0.5)


def test_an_earlier_admitted_key_makes_an_exact_duplicate_whatever_the_scores():
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in ["a b c d", "a b c d", "A  b c d!"]]
    keys = ["a b c d", "a b c d", "a b c d!"]
    verdicts = admit_in_order(codes, [(None, 0.0)] * 3, [True] * 3, threshold=1.0, keys=keys)
    # At threshold 1.0 a score of 1.0 would be admitted; the shared key still drops it.
    assert verdicts[1] == (BATCH, 0, 1.0, False, True)
    # Another key with the same words: scored, not an exact duplicate, admitted at 1.0.
    assert (verdicts[2].exact, verdicts[2].score, verdicts[2].admitted) == (False, 1.0, True)


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="2 texts, 1 prior"):
        admit_in_order(["a", "b"], [(None, 0.0)], [True, True], threshold=0.7)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_big_batch_is_blocked_and_keeps_the_same_verdicts(seed):
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) for _ in range(300)]
    cands = [Candidate(id=f"c{i}", instruction=t, output="An answer long enough.") for i, t in enumerate(texts)]
    exact = curate(cands, CurateConfig())
    blocked_cfg = CurateConfig.model_validate({"near_duplicate": {"exact_max_pool": 0}})
    blocked = curate(cands, blocked_cfg)
    assert [r.reasons for r in blocked] == [r.reasons for r in exact]
    assert sum(r.verdict == "kept" for r in exact) > 10  # the batch is not all duplicates
    # Every near-duplicate records the same neighbour score either way (its best is above the threshold).
    for a, b in zip(exact, blocked):
        if "near_duplicate" in a.reasons:
            assert (a.similarity, a.neighbour_id) == (b.similarity, b.neighbour_id)
