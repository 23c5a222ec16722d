import random

import numpy as np
import pytest
from rapidfuzz import process
from rapidfuzz.distance import Indel

import filters.index
from core.errors import GerminateError
from filters.blocking import PrefixBlocker, elements, min_overlap
from filters.index import PoolIndex
from filters.similarity import TokenEncoder, nearest, rouge_l

VOCAB = (
    "write a short poem story about the sea cat dog city night list three ways to explain why "
    "sky is blue give tips for sleep 바다 시 하늘 the the a"  # repeated words: multiset elements
).split()


def planted(n: int, seed: int = 0) -> list[str]:
    """Random short texts, a third of them edits (swap, insert, delete) of an earlier one,
    so many pairs sit just above and just below 0.7."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.4:
            tokens = rng.choice(out).split()
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(tokens) + 1)
                op = rng.random()
                if op < 0.4:
                    tokens.insert(i, rng.choice(VOCAB))
                elif op < 0.7 and len(tokens) > 1:
                    del tokens[min(i, len(tokens) - 1)]
                elif tokens:
                    tokens[min(i, len(tokens) - 1)] = rng.choice(VOCAB)
            out.append(" ".join(tokens))
        else:
            out.append(" ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 14))))
    return out


def above(results, threshold):
    return {i: r for i, r in enumerate(results) if r[1] > threshold}


def test_elements_number_repeated_tokens():
    enc = TokenEncoder()
    a, b = elements(enc.encode("the cat the dog the")), elements(enc.encode("the the the"))
    assert len(set(a)) == 5  # three distinct "the" elements, cat, dog
    assert len(set(a) & set(b)) == 3  # the multiset intersection: three "the"


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.9])
def test_min_overlap_is_a_true_bound(threshold):
    # For every pair of lengths and every LCS that passes, the overlap (>= LCS) reaches it.
    for la in range(1, 30):
        for lb in range(1, 30):
            for lcs in range(0, min(la, lb) + 1):
                if 2 * lcs / (la + lb) > threshold:
                    assert lcs >= min_overlap(la, threshold)
                    assert lcs >= min_overlap(lb, threshold)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.9])
def test_candidates_contain_every_pair_above_threshold(threshold):
    texts = planted(300)
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in texts]
    # Every pair's ROUGE-L at once (rapidfuzz Indel == ROUGE-L: test_similarity.py).
    scores = process.cdist(codes, codes, scorer=Indel.normalized_similarity, dtype=np.float64)
    scores[[not c for c in codes]] = 0.0
    blocker = PrefixBlocker(threshold)
    blocker.add(codes[:200])
    pairs = blocker.candidates(blocker.prefixes(codes[200:]))
    inner = blocker.self_candidates(blocker.prefixes(codes[:200]))
    n_above = 0
    for i in range(200, 300):
        cands = set(pairs.indices[pairs.indptr[i - 200] : pairs.indptr[i - 199]].tolist())
        must = set(np.flatnonzero(scores[i, :200] > threshold).tolist())
        assert must <= cands
        n_above += len(must)
    for i in range(200):
        cands = set(inner.indices[inner.indptr[i] : inner.indptr[i + 1]].tolist())
        assert all(j < i for j in cands)
        must = set(np.flatnonzero(scores[i, :i] > threshold).tolist())
        assert must <= cands
        n_above += len(must)
    assert n_above > 20  # the data does plant near-duplicates


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.9])
def test_blocked_nearest_agrees_with_exhaustive_above_threshold(threshold):
    texts = planted(400, seed=1)
    queries, corpus = texts[300:], texts[:300]
    exact = nearest(queries, corpus, threshold=threshold, exact_max_pool=10**9)
    blocked = nearest(queries, corpus, threshold=threshold, exact_max_pool=10)
    assert above(exact, threshold)  # the data does plant near-duplicates
    assert above(blocked, threshold) == above(exact, threshold)  # same neighbour, same score
    # Below the threshold the blocked path may find less, never more.
    assert all(b[1] <= e[1] for b, e in zip(blocked, exact))


@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_blocked_admit_drops_exactly_what_exhaustive_drops(threshold, monkeypatch):
    monkeypatch.setattr(filters.index, "BLOCK", 64)  # several admission rounds
    texts = planted(500, seed=2)
    pool = texts[:100]
    exact = PoolIndex.build(pool, threshold, exact_max_pool=10**9).admit(texts[100:])
    blocked = PoolIndex.build(pool, threshold, exact_max_pool=0).admit(texts[100:])
    assert [v[2] for v in blocked] == [v[2] for v in exact]
    assert sum(not v[2] for v in exact) > 50
    assert above(blocked, threshold) == above(exact, threshold)


def test_admit_is_self_instructs_sequential_rule():
    texts = planted(120, seed=3)
    verdicts = PoolIndex(0.7, exact_max_pool=0).admit(texts)
    kept: list[int] = []
    for i, (j, score, admitted) in enumerate(verdicts):
        scores = [rouge_l(texts[i], texts[k]) for k in kept]
        best = max(scores, default=0.0)
        assert admitted == (best <= 0.7)
        if best > 0.7:
            assert score == pytest.approx(best) and j == scores.index(best)  # first of equals
        if admitted:
            kept.append(i)


def test_ineligible_texts_are_scored_but_not_admitted():
    index = PoolIndex.build(["write a poem about the sea"], 0.7, 10**9)
    texts = ["explain why the sky is blue", "explain why the sky is blue today", "list three cats"]
    verdicts = index.admit(texts, eligible=[False, True, True])
    assert [v[2] for v in verdicts] == [False, True, True]
    assert verdicts[1][0] is None or verdicts[1][1] <= 0.7  # the ineligible text is no neighbour
    assert len(index) == 3
    with pytest.raises(ValueError):
        index.admit(["a b c"], eligible=[])


def test_save_load_round_trip_gives_identical_results(tmp_path):
    texts = planted(300, seed=4)
    index = PoolIndex.build(texts[:200], 0.7, exact_max_pool=0)
    index.save(tmp_path / "pool_index")
    loaded = PoolIndex.load(tmp_path / "pool_index", None, exact_max_pool=0)
    assert loaded.codes == index.codes and loaded.encoder.vocab == index.encoder.vocab
    assert (loaded.blocker.rows != index.blocker.rows).nnz == 0
    assert loaded.nearest(texts[200:]) == index.nearest(texts[200:])
    assert loaded.admit(texts[200:]) == index.admit(texts[200:])
    assert not list(tmp_path.glob("*.tmp"))


def test_load_with_another_threshold_recuts_prefixes(tmp_path):
    texts = planted(300, seed=5)
    PoolIndex.build(texts[:200], 0.7, 10**9).save(tmp_path / "idx")
    loaded = PoolIndex.load(tmp_path / "idx", threshold=0.5, exact_max_pool=0)
    fresh = PoolIndex.build(texts[:200], 0.5, exact_max_pool=10**9)
    assert [v[2] for v in loaded.admit(texts[200:])] == [v[2] for v in fresh.admit(texts[200:])]


def test_load_refuses_missing_or_damaged_index(tmp_path):
    with pytest.raises(GerminateError, match="cannot read"):
        PoolIndex.load(tmp_path / "nothing", None, 10**9)
    PoolIndex.build(["a b c"], 0.7, 10**9).save(tmp_path / "idx")
    (tmp_path / "idx.json").write_text('{"format": 99}')
    with pytest.raises(GerminateError, match="format"):
        PoolIndex.load(tmp_path / "idx", None, 10**9)


def test_thresholds_without_blocking_score_every_pair():
    # 0 and 1 leave nothing to prune: the index falls back to exact scoring at any size.
    for threshold in (0.0, 1.0):
        index = PoolIndex.build(["write a poem", "cook dinner"], threshold, exact_max_pool=0)
        assert index.blocker is None
        assert index.nearest(["write a poem please"])[0][0] == 0
    assert nearest(["write a poem"], ["write a poem"], threshold=1.0, exact_max_pool=0) == [(0, 1.0)]


def test_empty_texts_never_match():
    index = PoolIndex.build(["", "write a poem"], 0.7, exact_max_pool=0)
    assert index.nearest(["", "!!!", "write a poem"]) == [(None, 0.0), (None, 0.0), (1, 1.0)]
    assert [v[2] for v in index.admit(["", "write a poem"])] == [True, False]
