"""`copies_seed_example`: a seed instance's text pasted under a task it does not belong to.

The cases are the shapes read on a real default night (README, "What a real night keeps"),
written by hand here, plus the look-alikes the rule must leave alone.
"""

from core.config import CurateConfig
from core.config.curate import SeedCopyRule
from core.records import Candidate, Instance, SeedTask
from filters.curate import curate, row_facts
from filters.seed_copy import REASON, SeedCopyIndex

REVIEW = "The headphones broke after two days and support never answered my emails."
SEEDS = [
    SeedTask(id="seed_sentiment", instruction="Classify the sentiment of the review as positive or negative.",
             instances=[Instance(input=REVIEW, output="negative")]),
    SeedTask(id="seed_intent", instruction="고객 문의를 '배송 문의', '교환 요청', '결제 오류' 중 하나로 분류하세요.",
             instances=[Instance(input="어제 주문한 신발이 아직 출고 전이라고 나오는데 언제쯤 받을 수 있을까요?",
                                 output="배송 문의")]),
    SeedTask(id="seed_intro", instruction="새로 들어간 동아리에서 할 짧은 자기소개를 써 주세요.",
             instances=[Instance(output="안녕하세요, 컴퓨터공학과 김하늘입니다. 평소에 사진 찍기를 좋아해서 들어왔어요.")]),
    SeedTask(id="seed_add", instruction="Add the two numbers.", instances=[Instance(input="3, 5", output="8")]),
]
INDEX = SeedCopyIndex(SEEDS, 0.9)


def cand(instruction: str, input: str = "", output: str = "ok", id: str = "c1") -> Candidate:
    return Candidate(id=id, instruction=instruction, input=input, output=output)


def test_seed_input_under_an_unrelated_instruction_is_a_copy():
    c = cand("Hyphenate 'txt' into 'hty' and shorten the digits.", REVIEW, "negative")
    assert INDEX.copied(c) == "seed_sentiment input"


def test_near_copy_and_containing_copy_of_a_korean_seed_input():
    typo = cand("State your answer in a friendly way.", "어제 주문한 신발이 아직 출고 전이라고 나오는데 언제쯤 받을수 있을까요", "배송 문의")
    assert INDEX.copied(typo) == "seed_intent input"
    pasted = cand("Summarise the message.", "Customer wrote: " + REVIEW + " Please reply soon.", "A complaint.")
    assert INDEX.copied(pasted) == "seed_sentiment input"


def test_a_seed_instruction_as_input_or_output_is_a_copy():
    as_input = cand("Give the opposite of the given word.", "새로 들어간 동아리에서 할 짧은 자기소개를 써 주세요.", "싫어요")
    assert INDEX.copied(as_input) == "seed_intro input"
    as_output = cand("Assign the news headline to one of these topics.", "Rates held at 3.5%",
                     "Classify the sentiment of the review as positive or negative.")
    assert INDEX.copied(as_output) == "seed_sentiment output"


def test_a_long_seed_answer_under_another_task_is_a_copy():
    c = cand("Describe your favourite food.", "", "안녕하세요, 컴퓨터공학과 김하늘입니다. 평소에 사진 찍기를 좋아해서 들어왔어요.")
    assert INDEX.copied(c) == "seed_intro output"


def test_the_seed_task_restated_with_its_own_example_is_left_to_duplicates():
    # The instruction rewords the seed's own: a duplicate question, not a pasted example.
    c = cand("Classify the sentiment of this review as positive or negative.", REVIEW, "negative")
    assert INDEX.copied(c) is None
    own_answer = cand("새로 들어간 동아리에서 할 자기소개를 짧게 써 주세요.", "",
                      "안녕하세요, 컴퓨터공학과 김하늘입니다. 평소에 사진 찍기를 좋아해서 들어왔어요.")
    assert INDEX.copied(own_answer) is None


def test_short_texts_and_shared_labels_are_not_copies():
    assert INDEX.copied(cand("Multiply the two numbers.", "3, 5", "15")) is None  # too short to say
    assert INDEX.copied(cand("Is this email spam?", "Win a free cruise now, click here!", "spam")) is None
    fresh = cand("Classify the sentiment of the tweet.", "The concert last night was the best of my life.", "positive")
    assert INDEX.copied(fresh) is None


def test_curation_drops_a_copy_with_the_reason_and_names_the_seed():
    rows = [cand("Hyphenate 'txt' into 'hty' and shorten the digits.", REVIEW, "negative", id="copy"),
            cand("Classify the sentiment of the tweet.", "The concert last night was the best of my life.",
                 "positive", id="fresh")]
    cfg = CurateConfig()
    out = curate(rows, cfg, seed_tasks=SEEDS)
    assert out[0].verdict == "dropped" and out[0].reasons == [REASON]
    assert out[0].meta["seed_copy"] == "seed_sentiment input"
    assert out[1].verdict == "kept" and out[1].reasons == []
    # Without seed tasks (imported data) or with the rule off, nothing is a copy.
    assert curate(rows, cfg)[0].verdict == "kept"
    off = CurateConfig(seed_copy=SeedCopyRule(enabled=False))
    assert all(f.seed_copy is None for f in row_facts(rows, off, seed_tasks=SEEDS))


def test_a_copy_does_not_join_the_comparison_set():
    # The copy is dropped for its own reason; a later row like it must not become its
    # near-duplicate (only rows with no reason join the set, as in Self-Instruct's loop).
    rows = [cand("Hyphenate the word and shorten the digits.", REVIEW, "negative", id="copy"),
            cand("Hyphenate the word and shorten the digits.", "Some other text entirely here.", "x", id="next")]
    out = curate(rows, CurateConfig(), seed_tasks=SEEDS)
    assert out[0].reasons == [REASON]
    assert out[1].verdict == "kept", out[1].reasons


def test_the_threshold_moves_the_verdict():
    typo = cand("State your answer in a friendly way.", "어제 주문한 신발이 출고 전인데 언제 받나요?", "곧 받으실 수 있어요.")
    assert SeedCopyIndex(SEEDS, 0.9).copied(typo) is None
    assert SeedCopyIndex(SEEDS, 0.6).copied(typo) == "seed_intent input"


def test_a_seed_label_under_a_task_that_does_not_name_it_is_a_copy():
    c = cand("Convert the temperature from Celsius to Fahrenheit.", "carrot", "negative")
    assert INDEX.copied(c) == "seed_sentiment label"
    ko = cand("Just love the art of liking someone.", "결정", "배송 문의")
    assert INDEX.copied(ko) == "seed_intent label"


def test_a_label_the_task_names_or_its_own_seed_task_gives_is_not_a_copy():
    named = cand("Is this review positive or negative?", "The battery died within an hour.", "negative")
    assert INDEX.copied(named) is None
    own = cand("Classify the sentiment of this review as positive or negative.", "Terrible fit.", "negative")
    assert INDEX.copied(own) is None
    other = cand("Convert the temperature from Celsius to Fahrenheit.", "20°C", "68°F")
    assert INDEX.copied(other) is None


def test_facts_from_other_settings_follow_this_configs_switch():
    rows = [cand("Hyphenate 'txt' into 'hty' and shorten the digits.", REVIEW, "negative")]
    facts = row_facts(rows, CurateConfig(), seed_tasks=SEEDS)  # computed with the rule on
    off = CurateConfig(seed_copy=SeedCopyRule(enabled=False))
    assert curate(rows, off, facts=facts)[0].verdict == "kept"
    assert curate(rows, CurateConfig(), facts=facts)[0].reasons == [REASON]
