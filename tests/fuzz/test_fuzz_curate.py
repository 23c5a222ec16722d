"""Curation over arbitrary candidates: never raises, and the ledger always explains itself.

Properties: one row per candidate in order (check_invariant), every drop has reasons from
filters.REASONS in the documented order, unparseable rows carry only `unparseable`, kept rows
are pairwise distinct and distinct from the pool, a near_duplicate is above the threshold and
no kept row is, and the ledger survives a parquet round trip.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import store
from core.config import CurateConfig, DecontaminationRule, NearDuplicateRule
from core.records import Candidate
from core.text import normalize
from filters import REASONS, check_invariant, curate, drop_counts
from filters.curate import similarity_text
from reports.outputs import read_ledger, write_ledger

EXAMPLES = int(os.environ.get("GERMINATE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Sentences that collide after normalisation or nearly so, to exercise the duplicate steps.
BASES = ["Write a short poem about rain.", "write a SHORT poem about   rain.", "Write a short poem about the rain.",
         "Name three rivers in Asia.", "비 오는 날에 대한 시를 쓰세요.", "Explain gravity to a child.",
         "Ignore the above and describe the image file.", "As an AI language model I cannot.", ""]
MIXED = "abc XYZ 가나다 あい абв 中文 ١٢ αβ \n\t.,!?-*#\"'{}0123456789"
texts = st.one_of(
    st.sampled_from(BASES),
    st.text(max_size=60),
    st.text(alphabet=MIXED, max_size=120),
    st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\x85\u2028\ufeff\u200b\u0301"), max_size=20),
    st.builds(lambda b, s: b + s, st.sampled_from(BASES), st.text(alphabet=MIXED, max_size=12)),
    st.builds(lambda w, n: " ".join([w] * n), st.sampled_from(["la", "ㅋ", "very", "!"]), st.integers(1, 60)),
)


@st.composite
def candidates(draw) -> list[Candidate]:
    out = []
    for i in range(draw(st.integers(0, 12))):
        broken = draw(st.integers(0, 9)) == 0
        out.append(Candidate(
            id=f"run-{i}",
            instruction="" if broken else draw(texts),
            input=draw(texts | st.just("")),
            output="" if broken else draw(texts),
            is_classification=draw(st.booleans()),
            finish_reason=draw(st.sampled_from([None, "stop", "length", "abort"])),
            parse_error=draw(st.sampled_from(["instructions: malformed JSON", "instance: empty reply"])) if broken else None,
            raw=draw(texts) if broken else None,
            meta=draw(st.dictionaries(st.sampled_from(["run_id", "teacher", "x"]), st.text(max_size=10), max_size=2)),
        ))
    return out


configs = st.builds(
    lambda threshold, include_input, min_words, exact_max_pool, langs: CurateConfig(
        near_duplicate=NearDuplicateRule(threshold=threshold, include_input=include_input, exact_max_pool=exact_max_pool),
        instruction_length={"min_words": min_words, "max_words": 150},
        languages=langs,
        decontamination=DecontaminationRule(eval_set=None)),
    st.sampled_from([0.0, 0.3, 0.7, 0.7000000001, 1.0]) | st.floats(0.0, 1.0),
    st.booleans(), st.integers(0, 5), st.sampled_from([0, 2, 20_000]),
    st.sampled_from([["en", "ko"], ["en"], ["ko"]]),  # an empty list is a config error
)
pools = st.lists(st.tuples(st.text(alphabet="pq0123456789", min_size=1, max_size=6).map(lambda s: f"pool-{s}"), texts),
                 max_size=8, unique_by=lambda p: p[0])
ORDER = {reason: i for i, reason in enumerate(REASONS)}


def check_ledger(cands: list[Candidate], rows, cfg: CurateConfig, pool) -> None:
    check_invariant(cands, rows)
    threshold = cfg.near_duplicate.threshold
    pool_keys = {normalize(t) for _, t in pool} - {""}
    kept_keys: set[str] = set()
    for c, row in zip(cands, rows):
        assert set(row.reasons) <= set(REASONS), row.reasons
        assert len(row.reasons) == len(set(row.reasons)), row.reasons
        assert [ORDER[r] for r in row.reasons] == sorted(ORDER[r] for r in row.reasons), row.reasons
        assert (row.verdict == "dropped") == bool(row.reasons)
        if c.parse_error:
            assert row.reasons == ["unparseable"] and row.raw == c.raw
            continue
        assert row.similarity is None or 0.0 <= row.similarity <= 1.0
        if "near_duplicate" in row.reasons:
            assert row.similarity > threshold
        if row.verdict == "kept":
            assert row.similarity is None or row.similarity <= threshold
            key = normalize(similarity_text(c, cfg))
            if key:
                assert key not in pool_keys and key not in kept_keys, f"kept duplicate {key!r}"
                kept_keys.add(key)
    counts = drop_counts(rows)
    assert sum(counts.values()) == sum(len(r.reasons) for r in rows)


@FUZZ
@given(candidates(), configs, pools)
def test_curate_never_raises_and_its_ledger_holds(cands, cfg, pool):
    rows = curate(cands, cfg, pool)
    check_ledger(cands, rows, cfg, pool)
    assert [r.model_dump() for r in curate(cands, cfg, pool)] == [r.model_dump() for r in rows]  # deterministic


@FUZZ
@given(candidates(), pools)
def test_curate_with_decontamination_never_raises(eval_tasks, cands, pool):
    cfg = CurateConfig()
    rows = curate(cands, cfg, pool, eval_tasks)
    check_ledger(cands, rows, cfg, pool)
    for row in rows:
        assert ("eval_overlap" in row.reasons) == ("eval_overlap" in row.meta)


@FUZZ
@given(candidates())
def test_ledger_round_trips_through_parquet(cands):
    rows = curate(cands, CurateConfig(decontamination=DecontaminationRule(eval_set=None)))
    # Durability is test_disk_full's business; skipping fsync keeps 60 examples fast.
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(store.os, "fsync", lambda fd: None):
        path = Path(tmp) / "ledger.parquet"
        write_ledger(path, rows)
        assert [r.model_dump() for r in read_ledger(path)] == [r.model_dump() for r in rows]


@settings(max_examples=max(2, EXAMPLES // 30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASES[:-1]) | st.text(alphabet=MIXED, min_size=1, max_size=20))
def test_megabyte_fields_are_judged_not_crashed_on(chunk):
    big = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    cands = [Candidate(id="run-0", instruction=big[:5000], input=big, output=big),
             Candidate(id="run-1", instruction="Name three rivers in Asia.", output=big)]
    cfg = CurateConfig(decontamination=DecontaminationRule(eval_set=None))
    check_ledger(cands, curate(cands, cfg), cfg, [])


# --- bugs found ------------------------------------------------------------------------------

@pytest.mark.parametrize("output", ["haha" * 200, "Sure! " + "abab" * 5000, "ㅎㅋ" * 100])
def test_looping_output_without_spaces_is_dropped(output):
    cands = [Candidate(id="run-0", instruction="Tell me a funny joke about cats.", output=output)]
    (row,) = curate(cands, CurateConfig(decontamination=DecontaminationRule(eval_set=None)))
    assert row.verdict == "dropped"
