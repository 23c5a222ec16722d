import json

import pytest

from core.errors import GerminateError
from evals.judge import JUDGE_SCHEMA, judge_messages, judge_pairs, pair_outcome, parse_verdict, win_rate

GOOD = "Paris is the capital of France."
BAD = "I like turtles."
ITEMS = [{"instruction": "What is the capital of France?", "input": ""},
         {"id": "t2", "instruction": "Name the capital.", "input": "France", "reference": "Paris"}]


def shown(messages):
    """The (answer A, answer B) a judge prompt shows, read back from its text."""
    assert [m["role"] for m in messages] == ["user"]
    text = messages[0]["content"]
    a = text.split("[Answer A]\n", 1)[1].split("\n[End of Answer A]", 1)[0]
    b = text.split("[Answer B]\n", 1)[1].split("\n[End of Answer B]", 1)[0]
    return a, b


def fair_judge(batch):
    """Prefers whichever answer is GOOD, wherever it is shown."""
    replies = []
    for messages in batch:
        a, b = shown(messages)
        replies.append(json.dumps({"winner": "A" if a == GOOD else "B" if b == GOOD else "tie"}))
    return replies


def test_judge_messages_show_instruction_input_and_both_answers():
    messages = judge_messages("Translate to Korean.", "Good morning", "좋은 아침", "안녕")
    text = messages[0]["content"]
    assert "Translate to Korean." in text and "[Input]\nGood morning" in text
    assert shown(messages) == ("좋은 아침", "안녕")
    assert '{"winner": "tie"}' in text
    assert "[Input]" not in judge_messages("Say hi.", "", "hi", "hello")[0]["content"]


def test_schema_allows_exactly_the_three_verdicts():
    assert JUDGE_SCHEMA["properties"]["winner"]["enum"] == ["A", "B", "tie"]
    assert JUDGE_SCHEMA["required"] == ["winner"]


@pytest.mark.parametrize("text, verdict", [
    ('{"winner": "A"}', "A"),
    ('```json\n{"winner": "B"}\n```', "B"),
    ('Both are fine.\n{"winner": "tie"}', "tie"),
    ('{"winner": "Tie"}', "tie"),
    ("B", "B"),
    (" **A**.\n", "A"),
    ('"tie"', "tie"),
    ('{"winner": "C"}', None),
    ('{"verdict": "A"}', None),
    ("Answer A is clearly better because it is correct.", None),
    ("", None),
    (None, None),
])
def test_parse_verdict(text, verdict):
    assert parse_verdict(text) == verdict


@pytest.mark.parametrize("ab, ba, outcome", [
    ("A", "B", 1.0),    # candidate wins in both orders
    ("B", "A", 0.0),    # loses in both
    ("A", "A", 0.5),    # split: the judge just prefers slot A
    ("B", "B", 0.5),    # split: the judge just prefers slot B
    ("tie", "tie", 0.5),
    ("A", "tie", 0.5),  # a win only counts when it survives the swap
    (None, "B", 1.0),   # one order unparseable: the other decides alone
    ("B", None, 0.0),
    (None, "tie", 0.5),
    (None, None, None),
])
def test_pair_outcome(ab, ba, outcome):
    assert pair_outcome(ab, ba) == outcome


def test_fair_judge_gives_the_good_candidate_every_pair():
    calls = []

    def ask(batch):
        calls.append(len(batch))
        return fair_judge(batch)

    result = judge_pairs(ITEMS, [GOOD, GOOD], [BAD, BAD], ask)
    assert calls == [4]  # both orders of both items in one batch
    assert result["verdicts"] == [["A", "B"], ["A", "B"]]
    assert result["outcomes"] == [1.0, 1.0]
    assert result["win_rate"] == 1.0 and result["n"] == 2 and result["n_unjudged"] == 0
    # And the other way round: the bad candidate loses every pair.
    assert judge_pairs(ITEMS, [BAD, BAD], [GOOD, GOOD], fair_judge)["win_rate"] == 0.0


def test_position_biased_judge_scores_exactly_one_half():
    result = judge_pairs(ITEMS, [GOOD, BAD], [BAD, GOOD], lambda batch: ['{"winner": "A"}'] * len(batch))
    assert result["outcomes"] == [0.5, 0.5]
    assert result["win_rate"] == 0.5


def test_unparseable_replies_are_counted_not_guessed():
    replies = ['{"winner": "A"}', '{"winner": "B"}',  # item 1: candidate wins both
               "I cannot decide.", "",                # item 2: nothing usable
               "garbled", '{"winner": "A"}']          # item 3: second order alone: loss
    items = ITEMS + [{"instruction": "Third task."}]  # "input" may be absent
    result = judge_pairs(items, ["c1", "c2", "c3"], ["p1", "p2", "p3"], lambda batch: replies)
    assert result["outcomes"] == [1.0, None, 0.0]
    assert result["n"] == 2 and result["n_unjudged"] == 1
    assert result["win_rate"] == 0.5


def test_judge_pairs_rejects_mismatched_lengths():
    with pytest.raises(GerminateError, match="2 items but 1 candidate"):
        judge_pairs(ITEMS, [GOOD], [BAD, BAD], fair_judge)
    with pytest.raises(GerminateError, match="3 replies for 4 prompts"):
        judge_pairs(ITEMS, [GOOD, GOOD], [BAD, BAD], lambda batch: ["A"] * 3)


def test_win_rate_counts_ties_as_half():
    result = win_rate([1.0, 0.5, 0.5, 0.0, 1.0, None])
    assert result["win_rate"] == pytest.approx(3 / 5)
    assert result["n"] == 5 and result["n_unjudged"] == 1


def test_bootstrap_ci_contains_the_mean_and_is_seeded():
    outcomes = [1.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 1.0]
    result = win_rate(outcomes)
    assert result["ci_low"] < result["win_rate"] < result["ci_high"]
    assert 0.0 <= result["ci_low"] and result["ci_high"] <= 1.0
    assert win_rate(outcomes) == result  # same seed, same interval


def test_bootstrap_depends_on_the_seed():
    outcomes = [1.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 1.0]
    intervals = {(r["ci_low"], r["ci_high"])
                 for r in (win_rate(outcomes, n_boot=50, seed=s) for s in range(4))}
    assert len(intervals) > 1


def test_bootstrap_ci_is_a_point_for_identical_outcomes():
    result = win_rate([1.0] * 20)
    assert result["win_rate"] == result["ci_low"] == result["ci_high"] == 1.0


def test_more_items_give_a_narrower_interval():
    few = win_rate([1.0, 0.0] * 5)
    many = win_rate([1.0, 0.0] * 200)
    assert (many["ci_high"] - many["ci_low"]) < (few["ci_high"] - few["ci_low"]) / 3


def test_win_rate_is_na_when_nothing_was_judged():
    assert win_rate([None, None]) == {"win_rate": None, "ci_low": None, "ci_high": None,
                                      "n": 0, "n_unjudged": 2}
    assert win_rate([])["win_rate"] is None
