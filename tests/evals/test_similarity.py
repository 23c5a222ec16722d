import pytest
from rouge_score import rouge_scorer

from core.errors import GerminateError
from evals.similarity import mean_rouge_l, rouge_l


def test_english_pair_matches_hand_computed_lcs():
    # prediction: the cat sat on the mat (6 tokens); reference: the cat lay on a mat (6).
    # LCS = the, cat, on, mat = 4, so P = R = 4/6 and F1 = 2/3.
    assert rouge_l("The cat sat on the mat.", "the cat lay on a mat") == pytest.approx(2 / 3)


def test_uneven_lengths_use_precision_and_recall():
    # prediction 2 tokens, reference 4, LCS 2: P = 1, R = 1/2, F1 = 2/3.
    assert rouge_l("red apples", "I like red apples") == pytest.approx(2 / 3)


def test_korean_pair_scores_nonzero_where_the_default_tokenizer_gives_zero():
    pred, ref = "하늘이 파란 이유는 빛의 산란 때문입니다", "하늘이 파란 것은 빛의 산란 때문입니다"
    # 6 words each, 5 shared in order: F1 = 5/6.
    assert rouge_l(pred, ref) == pytest.approx(5 / 6)
    default = rouge_scorer.RougeScorer(["rougeL"]).score(ref, pred)["rougeL"].fmeasure
    assert default == 0.0  # why we pass our own tokenizer


def test_identical_disjoint_and_empty():
    assert rouge_l("같은 문장입니다", "같은 문장입니다") == pytest.approx(1.0)
    assert rouge_l("apples", "oranges") == 0.0
    assert rouge_l("", "anything") == 0.0


def test_mean_rouge_l():
    pairs = [("a b", "a b"), ("x", "y")]
    assert mean_rouge_l(pairs) == pytest.approx(0.5)
    with pytest.raises(GerminateError, match="no .* pairs"):
        mean_rouge_l([])


@pytest.mark.parametrize("pred, ref", [
    ("the cat sat on the mat", "the mat sat on the cat"),
    ("Explain recursion in Python, with an example", "Explain recursion with an example"),
    ("a a a b", "a b a b a"),
])
def test_agrees_with_the_curation_filters_rouge_l_on_text_without_hangul(pred, ref):
    # One tokenizer, one definition for words: the eval metric and the near-duplicate filter agree.
    from filters.similarity import rouge_l as filter_rouge_l

    assert rouge_l(pred, ref) == pytest.approx(filter_rouge_l(pred, ref))


def test_for_hangul_the_filter_sees_through_particles_and_the_metric_scores_words():
    # The near-duplicate filter compares Korean requests by content morphemes and syllables
    # (core.text.match_tokens), so a spacing/particle variant is a duplicate; the eval metric
    # scores an answer's words as written, as ROUGE-L on Korean answers is usually reported.
    from filters.similarity import rouge_l as filter_rouge_l

    pred, ref = "서울의 날씨를 알려줘", "서울 날씨를 알려 줘"
    assert rouge_l(pred, ref) == pytest.approx(2 * (1 / 3 * 1 / 4) / (1 / 3 + 1 / 4))  # "날씨를" alone
    assert filter_rouge_l(pred, ref) >= 0.7
