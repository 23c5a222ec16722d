import random

import pytest

from core.text import similarity_tokens, words
from filters.similarity import TokenEncoder, best_match, nearest, rouge_l


def reference_rouge_l(a: str, b: str) -> float:
    """Textbook ROUGE-L F1 (beta=1) from a dynamic-programming LCS over the matching tokens
    (words for text without Hangul, the sorted morpheme/syllable bag for Hangul text)."""
    ta, tb = similarity_tokens(a), similarity_tokens(b)
    if not ta or not tb:
        return 0.0
    table = [[0] * (len(tb) + 1) for _ in range(len(ta) + 1)]
    for i, x in enumerate(ta):
        for j, y in enumerate(tb):
            if x == y:
                table[i + 1][j + 1] = table[i][j] + 1
            else:
                table[i + 1][j + 1] = max(table[i][j + 1], table[i + 1][j])
    lcs = table[-1][-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(ta), lcs / len(tb)
    return 2 * p * r / (p + r)


PAIRS = [
    ("Write a poem about the sea.", "Write a poem about the sea."),
    ("Write a poem about the sea.", "Write a short poem about the ocean."),
    ("Write a poem about the sea.", "Compose a haiku on mountains."),
    ("the cat sat on the mat", "the mat sat on the cat"),
    ("a a a b", "a b a b a"),
    ("Summarize the article.", "SUMMARIZE   the article!"),
    ("List three fruits", "List three vegetables and three fruits"),
    ("하늘이 왜 파란색인지 설명하세요.", "하늘이 왜 파란색인지 간단히 설명하세요."),
    ("하늘이 왜 파란색인지 설명하세요.", "바다는 왜 짠가요?"),
    ("다음 문장을 영어로 번역하세요.", "Translate the following sentence into English."),
    ("Explain recursion in Python 코드 예시와 함께", "Explain recursion with 코드 예시"),
    ("one two three four five six", "six five four three two one"),
    ("", "anything at all"),
    ("!!!", "???"),
]


@pytest.mark.parametrize("a, b", PAIRS)
def test_rouge_l_matches_lcs_reference(a, b):
    assert rouge_l(a, b) == pytest.approx(reference_rouge_l(a, b), abs=1e-12)
    assert rouge_l(b, a) == pytest.approx(rouge_l(a, b), abs=1e-12)


def test_english_is_scored_on_its_words_in_order():
    """Self-Instruct's rule, unchanged: word order matters and tokens are the words."""
    assert similarity_tokens("Write a POEM about the sea.") == words("Write a POEM about the sea.")
    assert rouge_l("one two three four five six", "six five four three two one") == pytest.approx(2 / 12)


def test_rouge_l_reads_korean_where_rouge_score_sees_nothing():
    assert rouge_l("하늘이 왜 파란색인지 설명하세요.", "하늘이 왜 파란색인지 설명하세요.") == 1.0


def test_encoder_shares_vocabulary_and_skips_surrogates():
    enc = TokenEncoder()
    assert enc.encode("a b a") == enc.encode("A, b; A")
    assert enc.encode("a b") != enc.encode("b a")
    code = enc.encode(" ".join(f"w{i}" for i in range(60_000)))
    assert len(set(code)) == 60_000
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in code)


def _sentences(rng: random.Random, n: int) -> list[str]:
    vocab = "the a poem story sea cat write list explain short long three why how 바다 시".split()
    return [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 9))) for _ in range(n)]


def test_nearest_matches_brute_force_across_chunks():
    rng = random.Random(0)
    queries, corpus = _sentences(rng, 25), _sentences(rng, 40)
    got = nearest(queries, corpus, chunk=7, threshold=0.7, exact_max_pool=10**9)  # several blocks on both axes
    for query, (idx, score) in zip(queries, got):
        scores = [rouge_l(query, c) for c in corpus]
        best = max(scores)
        if best == 0.0:
            assert (idx, score) == (None, 0.0)
        else:
            assert idx == scores.index(best)  # ties go to the lowest index
            assert score == pytest.approx(best, abs=1e-12)


def test_nearest_edge_cases():
    assert nearest(["write a poem"], [], threshold=0.7, exact_max_pool=10**9) == [(None, 0.0)]
    assert nearest([], ["write a poem"], threshold=0.7, exact_max_pool=10**9) == []
    assert nearest(["", "!!!"], ["", "write"], threshold=0.7, exact_max_pool=10**9) == [(None, 0.0), (None, 0.0)]
    assert nearest(["write a poem"], ["cook dinner"], threshold=0.7, exact_max_pool=10**9) == [(None, 0.0)]
    assert nearest(["write a poem"], ["x", "write a poem", "write a poem"], threshold=0.7, exact_max_pool=10**9) == [(1, 1.0)]


def test_best_match_prefers_the_first_of_equals():
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in ["cook dinner", "write a song", "write a song"]]
    assert best_match(enc.encode("write a poem"), codes) == (1, pytest.approx(2 / 3))
    assert best_match(enc.encode("write a poem"), []) == (None, 0.0)


def test_encoder_from_tokens_round_trips():
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in ["write a poem", "하늘이 왜 파란색인지", "a poem, again"]]
    again = TokenEncoder.from_tokens(list(enc.vocab))
    assert again.vocab == enc.vocab
    assert [again.encode(t) for t in ["write a poem", "하늘이 왜 파란색인지", "a poem, again"]] == codes


def test_nearest_switches_to_blocking_past_exact_max_pool():
    rng = random.Random(1)
    corpus = _sentences(rng, 60)
    queries = [c + " sea" for c in corpus[:20]] + _sentences(rng, 20)  # near copies, and others
    exact = nearest(queries, corpus, exact_max_pool=len(corpus), threshold=0.7)
    blocked = nearest(queries, corpus, exact_max_pool=len(corpus) - 1, threshold=0.7)
    for e, b in zip(exact, blocked):
        if e[1] > 0.7:
            assert b == e  # same neighbour (lowest index of equals), same score
        else:
            assert b[1] <= e[1]
    assert sum(e[1] > 0.7 for e in exact) >= 10
