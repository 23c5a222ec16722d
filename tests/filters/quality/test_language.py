import pytest

from core.config import QualityConfig
from core.records import Candidate
from filters.quality import quality_reasons, statistical_scores
from filters.quality.language import language_share, translation_target
from filters.quality.text_kind import looks_like_code, looks_structured

CFG = QualityConfig()


def reasons(instruction: str, output: str, input: str = "") -> list[str]:
    return quality_reasons(statistical_scores(Candidate(id="c", instruction=instruction, input=input, output=output)), CFG)


@pytest.mark.parametrize("instruction,input,output", [
    ("하늘이 왜 파란지 설명하세요.", "", "Because sunlight is scattered by the air."),
    ("Explain why the sky is blue.", "", "햇빛이 공기 분자에 산란되기 때문입니다."),
    ("다음 문장을 요약하세요.", "오늘 회의는 취소되었습니다. 내일 다시 공지하겠습니다.", "The meeting is cancelled."),
    # A translation's output must be in the language asked for, not the instruction's: a real
    # default night kept the first of these (2026-12-07).
    ("Translate the given news headline into Korean.", "carrot", "fruit"),
    ("다음 문장을 영어로 번역하세요.", "역이 어디에 있나요?", "역은 저쪽에 있어요."),
    ("Translate the English sentence into Chinese", "Mount Rainier is the second highest peak.", "Yes"),
])
def test_output_in_another_language_than_the_task_is_dropped(instruction, input, output):
    assert reasons(instruction, output, input) == ["language_mismatch"]


@pytest.mark.parametrize("instruction,input,output", [
    ("Translate the following sentence into Korean.", "Where is the station?", "역이 어디에 있나요?"),
    ("다음 문장을 영어로 번역하세요.", "역이 어디에 있나요?", "Where is the station?"),
    # The input's language is allowed: fix this English sentence, classify an English review.
    ("다음 영어 문장의 문법 오류를 고치세요.", "She go to school every day.", "She goes to school every day."),
    ("다음 리뷰가 긍정인지 부정인지 분류하세요.", "Great phone, works well.", "positive"),
    # Labels the instruction names, in any script.
    ("문장이 formal인지 informal인지 답하세요.", "", "formal"),
    ("Name the capital of South Korea.", "", "Seoul (서울)"),
    # Code and data have no natural language.
    ("파이썬으로 문자열을 뒤집는 함수를 작성하세요.", "", "def reverse(s):\n    return s[::-1]"),
    ("다음 주문에서 상품과 수량을 JSON으로 뽑으세요.", "우유 2개, 빵 1개", '{"milk": 2, "bread": 1}'),
    ("What is 17 times 3?", "", "51"),
])
def test_output_in_a_language_the_task_calls_for_passes(instruction, input, output):
    assert reasons(instruction, output, input) == []


def test_share_is_a_fraction_of_letters():
    share = language_share("하늘이 왜 파란지 설명하세요.", "", "빛의 산란 때문입니다. Rayleigh scattering.")
    assert 0.0 < share < 1.0
    assert language_share("2022.11.17", "", "hello") is None  # the instruction has no language
    assert looks_like_code("```\nprint(1)\n```") and not looks_like_code("A plain sentence, with commas.")
    assert looks_structured("- 우유\n- 달걀\n- 식빵") and looks_structured('{"이름": "박지민", "나이": 29}')
    assert not looks_structured("다음 리뷰를 '긍정' 또는 '부정'으로 분류하세요.")


def test_min_share_is_configurable():
    scores = statistical_scores(Candidate(id="c", instruction="하늘이 왜 파란지 설명하세요.", output="Because of scattering."))
    assert quality_reasons(scores, CFG) == ["language_mismatch"]
    assert quality_reasons(scores, QualityConfig(language={"min_share": 0.0})) == []


@pytest.mark.parametrize("instruction,target", [
    ("Translate the given news headline into Korean.", "ko"), ("Translate this to French, please.", "en"),
    ("다음 문장을 영어로 번역하세요.", "en"), ("한국어로 옮겨 주세요.", "ko"), ("아래 글을 일본어로 번역해 줘", "ja"),
    ("Write a story. Then translate it to English.", "en"),
    # Not a translation into a natural language: no target, the usual rule.
    ("Translate the word.", None), ("Explain how to translate pseudocode into Python.", None),
    ("Go to the station and say hello in Korean.", None), ("영어 단어의 뜻을 설명하세요.", None),
])
def test_translation_target(instruction, target):
    assert translation_target(instruction) == target


def test_a_translation_may_keep_the_names_it_was_given():
    # Words of the instruction or input count whatever their script (names, terms).
    assert language_share("Translate into Korean.", "Samsung Galaxy is a phone.", "Samsung Galaxy는 휴대전화입니다.") == 1.0
