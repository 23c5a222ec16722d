"""The pool's persisted near-duplicate index: incremental, self-checking, same answers."""

from __future__ import annotations

import random

from core.config import CurateConfig, NearDuplicateRule
from core.records import Candidate
from filters.curate import row_facts
from filters.index import PoolIndex, persisted_index

WORDS = "write explain list summarize translate the a story poem email short long about three five cats rain city".split()


def texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) for _ in range(n)]


def entries(n: int, seed: int = 0, prefix: str = "r") -> list[tuple[str, str]]:
    return [(f"{prefix}-{i}", t) for i, t in enumerate(texts(n, seed))]


def test_night_two_encodes_only_the_rows_added_since(tmp_path, monkeypatch):
    rule = NearDuplicateRule()
    night1 = entries(30)
    assert len(persisted_index(tmp_path, rule, night1)) == 30
    added: list[int] = []
    real_add = PoolIndex.add
    monkeypatch.setattr(PoolIndex, "add", lambda self, t: (added.append(len(t)), real_add(self, t))[1])
    night2 = night1 + entries(12, seed=1, prefix="s")
    index = persisted_index(tmp_path, rule, night2)
    assert added == [12] and len(index) == 42
    # Loaded + extended answers exactly as an index built from scratch.
    fresh = PoolIndex.build([t for _, t in night2], rule.threshold, rule.exact_max_pool)
    queries = texts(20, seed=2)
    assert index.nearest(queries) == fresh.nearest(queries)


def test_an_index_that_does_not_match_the_pool_is_rebuilt(tmp_path, monkeypatch):
    rule = NearDuplicateRule()
    persisted_index(tmp_path, rule, entries(10))
    added: list[int] = []
    real_add = PoolIndex.add
    monkeypatch.setattr(PoolIndex, "add", lambda self, t: (added.append(len(t)), real_add(self, t))[1])
    other = entries(10, seed=5, prefix="x")  # a rewritten pool: the last covered id differs
    assert len(persisted_index(tmp_path, rule, other)) == 10 and added == [10]
    # A damaged index file is a cache miss, not a crash.
    (tmp_path / "pool" / "index-instruction.npz").write_bytes(b"not an npz")
    assert len(persisted_index(tmp_path, rule, other)) == 10 and added == [10, 10]


def _facts(tmp_path, exact_max_pool: int):
    cfg = CurateConfig(near_duplicate=NearDuplicateRule(exact_max_pool=exact_max_pool))
    seeds = entries(6, seed=3, prefix="seed")
    pool_rows = entries(40, seed=4)
    cands = [Candidate(id=f"c{i}", instruction=t, output="An answer.") for i, t in
             enumerate(texts(25, seed=4)[:10] + texts(15, seed=6))]
    index = persisted_index(tmp_path, cfg.near_duplicate, pool_rows)
    with_index = row_facts(cands, cfg, [t for _, t in seeds], index=index)
    plain = row_facts(cands, cfg, [t for _, t in seeds + pool_rows])
    # The copies of pool rows are found at their pool positions, after the seeds.
    assert [f.pool_best for f in with_index[:10]] == [(len(seeds) + i, 1.0) for i in range(10)]
    return cfg, with_index, plain


def test_row_facts_with_the_index_equal_scoring_the_whole_pool(tmp_path):
    _, with_index, plain = _facts(tmp_path, exact_max_pool=10_000)
    assert with_index == plain


def test_blocked_index_makes_the_same_duplicate_decisions(tmp_path):
    # A tiny exact_max_pool forces the blocked path, as on a big pool: scores above the
    # threshold are exact, those below it are lower bounds, so only decisions must agree.
    cfg, with_index, plain = _facts(tmp_path, exact_max_pool=8)
    threshold = cfg.near_duplicate.threshold
    for a, b in zip(with_index, plain):
        assert a.reasons == b.reasons and a.eval_overlap == b.eval_overlap
        assert (a.pool_best[1] > threshold) == (b.pool_best[1] > threshold)
        if a.pool_best[1] > threshold:
            assert a.pool_best == b.pool_best


def test_save_goes_through_the_atomic_writer_under_swept_temp_names(tmp_path, monkeypatch):
    import os
    import re

    import numpy as np

    from core import pool

    seen: list[str] = []
    real_savez = np.savez
    pool_dir = pool.pool_path(tmp_path).parent

    def savez(f, **arrays):  # what is in pool/ while the arrays are written
        seen.extend(p.name for p in pool_dir.iterdir() if ".npz" in p.name)
        return real_savez(f, **arrays)

    monkeypatch.setattr(np, "savez", savez)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    persisted_index(tmp_path, NearDuplicateRule(), entries(20))
    (name,) = seen
    # `.index-instruction.npz.<8 chars>.tmp`: the pattern the pool lock's sweep removes.
    assert re.fullmatch(r"\.index-instruction\.npz\.[a-z0-9_]{8}\.tmp", name), name
    assert len(synced) >= 3  # npz, json and the state file
    assert sorted(p.name for p in pool_dir.iterdir() if not p.name.startswith(".lock")) == [
        "index-instruction.json", "index-instruction.npz", "index-instruction.state.json"]
    (pool_dir / name).write_bytes(b"half an index")  # as a kill -9 mid-save leaves it
    with pool.pool_lock(tmp_path):
        pass
    assert not (pool_dir / name).exists()
