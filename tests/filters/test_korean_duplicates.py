"""Korean near-duplicates and eval overlap on the hand-labelled sets in tests/data.

The token view was chosen on korean_pairs_dev.jsonl only; korean_pairs_test.jsonl is the check
it generalises. Both go through `curate`, the path every run takes, and assert the reasons.
"""

import json
from pathlib import Path

import pytest

from core.config import CurateConfig
from core.paths import DEFAULT_EVAL_SET
from core.records import Candidate, load_tasks
from filters import curate

DATA = Path(__file__).resolve().parents[1] / "data"
# Some labelled requests are two words ("인플레이션이 뭐야?") or quote an English email with "file"
# in it, and every row gets the same Korean answer (translations into English included): the
# length, blacklist and language checks are not what these sets measure.
CFG = CurateConfig(instruction_length={"min_words": 1, "max_words": 150}, blacklist=[],
                   quality={"language": {"enabled": False}})
DUPLICATE_REASONS = {"near_duplicate", "exact_duplicate"}


def rows(name: str) -> list[dict]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    assert "_labeling_rule" in json.loads(lines[0])
    return [json.loads(line) for line in lines[1:] if line.strip()]


def cand(id: str, instruction: str) -> Candidate:
    return Candidate(id=id, instruction=instruction, output="네, 알겠습니다.", finish_reason="stop")


def second_reasons(pair: dict) -> list[str]:
    """Reasons of b when a came first in the same batch (Self-Instruct's order)."""
    ledger = curate([cand("a", pair["a"]), cand("b", pair["b"])], CFG)
    assert ledger[0].verdict == "kept", ledger[0].reasons
    return ledger[1].reasons


@pytest.mark.parametrize("split", ["dev", "test"])
def test_spacing_particle_and_ending_variants_are_duplicates(split):
    pairs = [p for p in rows(f"korean_pairs_{split}.jsonl") if p["label"] == "duplicate"]
    assert len(pairs) == 64
    flagged = [p for p in pairs if DUPLICATE_REASONS & set(second_reasons(p))]
    missed = [(p["a"], p["b"]) for p in pairs if p not in flagged]
    assert len(flagged) / len(pairs) >= 0.9, missed


@pytest.mark.parametrize("split", ["dev", "test"])
def test_different_korean_requests_are_never_duplicates(split):
    pairs = [p for p in rows(f"korean_pairs_{split}.jsonl") if p["label"] == "different"]
    assert len(pairs) == 64
    flagged = [(p["a"], p["b"], reasons) for p in pairs if DUPLICATE_REASONS & set(reasons := second_reasons(p))]
    assert flagged == []


def test_particle_variant_is_a_near_duplicate_with_its_neighbour_named():
    ledger = curate([cand("a", "파이썬으로 리스트를 정렬하는 방법을 알려줘"),
                     cand("b", "파이썬 리스트 정렬하는 방법 알려 주세요")], CFG)
    assert ledger[1].reasons in (["near_duplicate"], ["exact_duplicate"])
    assert ledger[1].neighbour_id == "a" and ledger[1].similarity > CFG.near_duplicate.threshold


def test_korean_variant_of_a_pool_entry_is_an_exact_duplicate():
    ledger = curate([cand("c", "다음 문장을 영어로 번역해줘.")], CFG, pool=[("p1", "다음 문장을 영어로 번역해 줘")])
    assert ledger[0].reasons == ["exact_duplicate"] and ledger[0].neighbour_id == "p1"


def test_eval_items_differing_in_spacing_or_particles_are_eval_overlap():
    tasks = load_tasks(DEFAULT_EVAL_SET)
    ids = {t.instruction: t.id for t in tasks}
    cases = rows("korean_decontam.jsonl")
    batch = [cand(f"c{i}", case["candidate"]) for i, case in enumerate(cases)]
    ledger = curate(batch, CFG, eval_tasks=tasks)
    for case, row in zip(cases, ledger):
        if case["label"] == "overlap":
            assert "eval_overlap" in row.reasons, case["candidate"]
            assert row.meta["eval_overlap"] == ids[case["eval_instruction"]]
        else:
            assert "eval_overlap" not in row.reasons, case["candidate"]
    assert sum(c["label"] == "overlap" for c in cases) >= 15
