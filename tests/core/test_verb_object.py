"""The (verb, object) heuristic behind the diversity view and novelty-seeking sampling."""

import pytest

from core.verb_object import verb_noun, verb_noun_table


@pytest.mark.parametrize("instruction, expected", [
    ("Write a short poem about the sea.", ("write", "poem")),
    ("Please summarise the following stories.", ("summarize", "story")),
    ("Explain how a rainbow forms.", ("explain", None)),
    ("What is the capital of France?", None),
    ("다음 문장을 요약하세요.", ("요약", "문장")),
    ("이 개념을 쉽게 설명해 주세요.", ("설명", "개념")),
    ("짧은 시를 쓰세요", ("쓰다", "시")),
    ("서울은 어떤 도시인가요?", None),
])
def test_verb_noun_heuristic(instruction, expected):
    assert verb_noun(instruction) == expected


def test_verb_noun_table_counts_verbs_and_their_objects():
    table = verb_noun_table(["Write a poem.", "Write a story.", "Write two poems.", "Why is the sky blue?"])
    assert table["parsed"] == 3 and table["total"] == 4
    assert table["rows"] == [("write", 3, [("poem", 2), ("story", 1)])]
