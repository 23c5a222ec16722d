"""The rating's prompt and parsing; the model call is an `ask` callable (a real vLLM server
answers it in tests/flows/test_quality_real.py)."""

import pytest

from core.config import QualityConfig
from filters.quality import quality_reasons
from filters.quality.rating import parse_rating, rate, rating_messages


def test_prompt_carries_the_task_and_asks_for_json():
    (msg,) = rating_messages("Translate into Korean.", "Good morning.", "좋은 아침입니다.")
    assert msg["role"] == "user"
    for part in ("Translate into Korean.", "Good morning.", "좋은 아침입니다.", "1 to 5", '"score"'):
        assert part in msg["content"]
    assert "[Input]" not in rating_messages("Name a colour.", "", "Red.")[0]["content"]


@pytest.mark.parametrize("reply,expected", [
    ('{"score": 4, "rationale": "Correct and complete."}', (4.0, "Correct and complete.")),
    ('```json\n{"score": 2, "rationale": "Wrong\\nlanguage."}\n```', (2.0, "Wrong language.")),
    ("Sure! {\"score\": 5, \"rationale\": \"ok\"}", (5.0, "ok")),
    ("3\nThe answer is partly right.", (3.0, "The answer is partly right.")),  # AlpaGasus's plain form
    ("Score: 4.5 - accurate", (4.5, "- accurate")),
])
def test_parse_rating(reply, expected):
    assert parse_rating(reply) == expected


@pytest.mark.parametrize("reply", ["", "I cannot rate this.", '{"score": 9, "rationale": "x"}', '{"score": "high"}', "10/10"])
def test_unreadable_or_out_of_range_replies_are_unrated(reply):
    assert parse_rating(reply) is None


def test_rate_sends_one_batch_and_unrated_rows_are_not_dropped():
    seen = []

    def ask(batch):
        seen.append(len(batch))
        return ['{"score": 1, "rationale": "Unrelated to the instruction."}', "no idea"]

    scores, notes = rate([("Name a colour.", "", "Red."), ("Say hi.", "", "hi")], ask)
    assert seen == [2]
    assert scores == [{"rating.score": 1.0}, {}] and notes == ["Unrelated to the instruction.", None]
    on = QualityConfig(rating={"enabled": True})
    assert quality_reasons(scores[0], on) == ["low_rating"] and quality_reasons(scores[1], on) == []


def test_a_short_reply_list_is_an_error():
    with pytest.raises(ValueError, match="1 replies for 2"):
        rate([("a", "", "b"), ("c", "", "d")], lambda batch: ["4"])
