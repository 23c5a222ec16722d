import json

import pytest

from core.errors import GerminateError
from evals.bootstrap import Resampler
from evals.judge import JUDGE_SCHEMA, judge_messages, judge_pairs, pair_outcome, parse_verdict

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
    ("A", "B", "win"),     # the subject wins in both orders
    ("B", "A", "loss"),    # loses in both
    ("A", "A", "split"),   # the judge just prefers slot A
    ("B", "B", "split"),   # ... or slot B
    ("tie", "tie", "tie"),
    ("A", "tie", "tie"),   # a preference that does not survive the swap, but no contradiction
    ("tie", "A", "tie"),
    (None, "B", "undecided"),  # one order alone would bring position bias back
    ("B", None, "undecided"),
    (None, None, "undecided"),
])
def test_pair_outcome(ab, ba, outcome):
    assert pair_outcome(ab, ba) == outcome


def scripted(replies_by_order):
    """A judge that answers from a script: {(item index, order): reply}, order 0 = subject first."""
    def ask(batch):
        return [replies_by_order[(i // 2, i % 2)] for i in range(len(batch))]
    return ask


def test_scripted_judge_in_both_orders_counts_every_outcome():
    items = [{"instruction": f"Task {i}."} for i in range(6)]
    script = {
        (0, 0): '{"winner": "A"}', (0, 1): '{"winner": "B"}',     # win
        (1, 0): '{"winner": "B"}', (1, 1): '{"winner": "A"}',     # loss
        (2, 0): '{"winner": "A"}', (2, 1): '{"winner": "A"}',     # split
        (3, 0): '{"winner": "tie"}', (3, 1): '{"winner": "tie"}', # tie
        (4, 0): "A", (4, 1): "no idea",                           # undecided
        (5, 0): '{"winner": "A"}', (5, 1): '{"winner": "B"}',     # win
    }
    result = judge_pairs(items, [f"s{i}" for i in range(6)], [f"o{i}" for i in range(6)], scripted(script))
    assert result["outcomes"] == ["win", "loss", "split", "tie", "undecided", "win"]
    assert result["counts"] == {"win": 2, "loss": 1, "tie": 1, "split": 1, "undecided": 1}
    assert result["n"] == 6 and result["decided"] == 4
    assert result["win_rate"] == pytest.approx((2 + 0.5) / 4)
    assert result["ci_low"] <= result["win_rate"] <= result["ci_high"]
    assert result["verdicts"][4] == ["A", None]


def test_fair_judge_gives_the_good_subject_every_pair():
    calls = []

    def ask(batch):
        calls.append(len(batch))
        return fair_judge(batch)

    result = judge_pairs(ITEMS, [GOOD, GOOD], [BAD, BAD], ask)
    assert calls == [4]  # both orders of both items in one batch
    assert result["verdicts"] == [["A", "B"], ["A", "B"]]
    assert result["outcomes"] == ["win", "win"]
    assert result["win_rate"] == 1.0 and result["decided"] == 2
    # And the other way round: the bad subject loses every pair.
    assert judge_pairs(ITEMS, [BAD, BAD], [GOOD, GOOD], fair_judge)["win_rate"] == 0.0


def test_position_biased_judge_decides_nothing():
    # The embedded 135M teacher behaves like this: every pair a split, and no win rate at all
    # (not a confident-looking 0.5 with a zero-width interval).
    result = judge_pairs(ITEMS, [GOOD, BAD], [BAD, GOOD], lambda batch: ['{"winner": "A"}'] * len(batch))
    assert result["outcomes"] == ["split", "split"]
    assert result["counts"]["split"] == 2 and result["decided"] == 0
    assert result["win_rate"] is None and result["ci_low"] is None and result["lc_win_rate"] is None


def test_judge_pairs_rejects_mismatched_lengths():
    with pytest.raises(GerminateError, match="2 items but 1 subject"):
        judge_pairs(ITEMS, [GOOD], [BAD, BAD], fair_judge)
    with pytest.raises(GerminateError, match="3 replies for 4 prompts"):
        judge_pairs(ITEMS, [GOOD, GOOD], [BAD, BAD], lambda batch: ["A"] * 3)


def test_length_controlled_rate_comes_with_the_counts():
    items = [{"instruction": f"Task {i}."} for i in range(20)]
    subject = [GOOD if i % 4 else BAD for i in range(20)]  # 15 wins, 5 losses
    result = judge_pairs(items, subject, [BAD if i % 4 else GOOD for i in range(20)], fair_judge,
                         length_diffs=[0] * 20, draws=Resampler.create(20, 500))
    assert result["win_rate"] == pytest.approx(0.75)
    assert result["lc_win_rate"] == pytest.approx(0.75, abs=0.02)
    assert result["lc_ci_low"] < 0.75 < result["lc_ci_high"]


def test_interval_is_seeded_and_narrows_with_more_items():
    def run(n, seed=0, n_boot=1000):
        items = [{"instruction": f"T{i}"} for i in range(n)]
        subject = [GOOD if i % 2 else BAD for i in range(n)]
        other = [BAD if i % 2 else GOOD for i in range(n)]
        return judge_pairs(items, subject, other, fair_judge, draws=Resampler.create(n, n_boot, seed=seed))
    few, many = run(10), run(400)
    assert run(10) == few
    assert len({(r["ci_low"], r["ci_high"]) for r in (run(11, seed, n_boot=30) for seed in range(6))}) > 1
    assert (many["ci_high"] - many["ci_low"]) < (few["ci_high"] - few["ci_low"]) / 3
