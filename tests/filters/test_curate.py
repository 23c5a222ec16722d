import pytest

from core.config import CurateConfig
from core.records import Candidate, Instance, SeedTask
from filters import CHECKS, check_invariant, curate, drop_counts
from filters.curate import REASONS
from filters.similarity import rouge_l

CFG = CurateConfig()


def cand(id: str, instruction: str, output: str = "A complete answer.", **kw) -> Candidate:
    kw.setdefault("finish_reason", "stop")
    return Candidate(id=id, instruction=instruction, output=output, **kw)


def by_id(rows):
    return {row.id: row for row in rows}


def test_good_candidates_are_kept_with_nothing_to_compare():
    batch = [cand("a", "Explain why the sky is blue."),
             cand("b", "하늘이 왜 파란색인지 설명하세요.", "햇빛이 공기 분자에 산란되기 때문입니다.")]
    rows = curate(batch, CFG)
    assert [(r.verdict, r.reasons) for r in rows] == [("kept", []), ("kept", [])]
    assert rows[0].similarity == 0.0 and rows[0].neighbour_id is None
    check_invariant(batch, rows)


def test_exact_duplicate_of_pool_entry():
    pool = [("p1", "write a poem about the sea.")]
    rows = curate([cand("a", "  Write a POEM about\nthe sea.")], CFG, pool=pool)
    assert rows[0].reasons == ["exact_duplicate"]
    row = rows[0]
    assert (row.neighbour_id, row.neighbour_text, row.similarity) == ("p1", pool[0][1], 1.0)


def test_exact_duplicate_of_earlier_kept_candidate():
    batch = [
        cand("a", "Write a poem about the sea."),
        cand("b", "write a  poem about the SEA."),
        cand("c", "Write a poem about the sea"),
    ]
    rows = curate(batch, CFG)
    assert rows[0].verdict == "kept"
    assert rows[1].reasons == ["exact_duplicate"]
    assert (rows[1].neighbour_id, rows[1].similarity) == ("a", 1.0)
    # Punctuation is not part of the exact key, but the tokens are identical: ROUGE-L 1.0.
    assert rows[2].reasons == ["near_duplicate"]
    assert (rows[2].neighbour_id, rows[2].similarity) == ("a", 1.0)


def test_near_duplicate_within_batch_records_neighbour():
    first = "Write a short poem about the sea at night."
    second = "Write a short poem about the ocean at night."
    rows = curate([cand("a", first), cand("b", second)], CFG)
    assert rows[1].reasons == ["near_duplicate"]
    assert rows[1].neighbour_id == "a" and rows[1].neighbour_text == first
    assert rows[1].similarity == pytest.approx(rouge_l(first, second)) == pytest.approx(8 / 9)
    assert rows[1].similarity > CFG.near_duplicate.threshold


def test_similarity_exactly_at_threshold_is_kept():
    # 10 words each, 7 in common order: ROUGE-L = 2*7/20 = 0.7 exactly. Self-Instruct drops
    # only scores strictly greater than 0.7.
    pool = [("p1", "alpha beta gamma delta epsilon zeta eta theta iota kappa")]
    text = "alpha beta gamma delta epsilon zeta eta one two three"
    assert rouge_l(text, pool[0][1]) == 0.7
    rows = curate([cand("a", text)], CFG, pool=pool)
    assert (rows[0].verdict, rows[0].reasons, rows[0].similarity) == ("kept", [], 0.7)
    assert rows[0].neighbour_id == "p1"
    stricter = CurateConfig(near_duplicate={"threshold": 0.69})
    assert curate([cand("a", text)], stricter, pool=pool)[0].reasons == ["near_duplicate"]


def test_dedup_is_deterministic_and_follows_input_order():
    a = cand("a", "Write a short poem about the sea at night.")
    b = cand("b", "Write a short poem about the ocean at night.")
    assert curate([a, b], CFG) == curate([a, b], CFG)
    assert [r.verdict for r in curate([a, b], CFG)] == ["kept", "dropped"]
    assert [r.verdict for r in curate([b, a], CFG)] == ["kept", "dropped"]
    assert curate([b, a], CFG)[1].neighbour_id == "b"


def test_dropped_candidates_do_not_block_later_ones_but_still_get_scored():
    pool = [("p1", "Write a short poem about the sea at night.")]
    bad = cand("a", "Draw a short picture of the moon at night.", finish_reason="length")
    similar = cand("b", "Draw a short picture of the moon at dawn.")
    rows = curate([bad, similar], CurateConfig(blacklist=["picture"]), pool=pool)
    # Dropped by checks, yet its similarity to the pool is on record for re-thresholding.
    assert rows[0].reasons == ["truncated", "blacklisted_keyword"]
    assert rows[0].neighbour_id == "p1"
    assert rows[0].similarity == pytest.approx(rouge_l(bad.instruction, pool[0][1]))
    # "a" was not kept, so "b" is not its near duplicate.
    assert rows[1].reasons == ["blacklisted_keyword"]
    assert rows[1].neighbour_id == "p1"


def test_candidate_lists_all_its_reasons():
    pool = [("p1", "Describe the image of a cat sitting on a mat.")]
    c = cand(
        "a",
        "Describe the image of a cat sitting on the mat.",
        output="As an AI language model, I cannot see images.",
    )
    rows = curate([c], CFG, pool=pool)
    assert rows[0].reasons == ["blacklisted_keyword", "refusal", "near_duplicate"]
    assert rows[0].verdict == "dropped"


def test_unparseable_row_has_one_reason_and_no_similarity():
    c = Candidate(id="a", parse_error="no JSON object", raw="Sure, here are some tasks")
    rows = curate([c], CFG, pool=[("p1", "")])
    assert rows[0].reasons == ["unparseable"]
    assert rows[0].similarity is None and rows[0].neighbour_id is None
    assert rows[0].raw == "Sure, here are some tasks"


def test_include_input_separates_one_instruction_with_many_inputs():
    cfg = CurateConfig(near_duplicate={"include_input": True})
    batch = [
        cand("a", "Translate the sentence into Korean.", "여러분, 좋은 아침입니다.", input="Good morning, everyone."),
        cand("b", "Translate the sentence into Korean.", "기차역이 어디에 있나요?", input="Where is the train station?"),
    ]
    assert [r.verdict for r in curate(batch, cfg)] == ["kept", "kept"]
    assert curate(batch, CFG)[1].reasons == ["exact_duplicate"]


def test_eval_overlap_is_a_reason_and_names_the_task():
    evals = [
        SeedTask(
            id="e1",
            instruction="Translate the following sentence into French.",
            instances=[Instance(output="Bonjour.")],
        )
    ]
    batch = [
        cand("a", "Translate the following sentence to French."),
        cand("b", "List three red fruits."),
    ]
    rows = curate(batch, CFG, eval_tasks=evals)
    assert rows[0].reasons == ["eval_overlap"]
    assert rows[0].meta["eval_overlap"] == "e1"
    assert rows[1].verdict == "kept" and "eval_overlap" not in rows[1].meta


def test_drop_counts_counts_every_reason():
    batch = [
        cand("a", "- Draw", output="ok fine then"),
        cand("b", "Draw a cat sitting on the mat."),
        cand("c", "Explain gravity to a child."),
    ]
    rows = curate(batch, CFG)
    # Listed in pipeline order, not by count; "a" counts under all three of its reasons.
    assert list(drop_counts(rows).items()) == [
        ("instruction_too_short", 1),
        ("blacklisted_keyword", 2),
        ("starts_with_punctuation", 1),
    ]


def test_reasons_are_unique_and_start_with_the_checks():
    assert len(REASONS) == len(set(REASONS))
    assert REASONS[0] == CHECKS[0].__name__ == "unparseable"
    assert REASONS[-4:] == ("exact_duplicate", "near_duplicate", "eval_overlap", "copies_seed_example")


def test_invariant_helper_catches_violations():
    batch = [cand("a", "Explain gravity to a child."), cand("b", "Draw a cat on the mat.")]
    rows = curate(batch, CFG)
    check_invariant(batch, rows)
    with pytest.raises(ValueError, match="2 candidates but 1 ledger rows"):
        check_invariant(batch, rows[:1])
    with pytest.raises(ValueError, match="in the place of candidate"):
        check_invariant(batch, rows[::-1])
    with pytest.raises(ValueError, match="dropped without a reason"):
        check_invariant(batch, [rows[0], rows[1].model_copy(update={"reasons": []})])
    with pytest.raises(ValueError, match="kept but has reasons"):
        check_invariant(batch, [rows[0].model_copy(update={"reasons": ["refusal"]}), rows[1]])
