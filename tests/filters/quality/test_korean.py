import pytest

from core.config import QualityConfig
from core.records import Candidate
from filters.quality import quality_reasons, statistical_scores
from filters.quality.korean import MIN_SYLLABLES, hangul_scores

CFG = QualityConfig()


def reasons(instruction: str, output: str, input: str = "") -> list[str]:
    return quality_reasons(statistical_scores(Candidate(id="c", instruction=instruction, input=input, output=output)), CFG)


@pytest.mark.parametrize("instruction", [
    # From real runs of the 135M chat teacher on Korean seeds: syllables, not words.
    "다음 절소는 무어서 절찾오옴 무역으로 알겠지",
    "만랐, 구소도목을 탈춘에운전 데이탆처",
    "진신문진 새프손시에도 이름어부터, 개인 임건 이름들의 유용한 연괧지",
    "갑븐 톧롸 쿄닙셋 뭏얀",
])
def test_hangul_that_is_not_korean_is_dropped(instruction):
    assert reasons(instruction, "경제") == ["not_korean"]


def test_broken_hangul_in_the_output_is_dropped_too():
    assert reasons("다음 문장을 더 짧게 줄이세요.", "휼닯 섭뤼넉 캽똔 왑슝", input="오늘은 날씨가 정말 좋아서 산책을 했다.") == ["not_korean"]


@pytest.mark.parametrize("instruction,output", [
    ("다음 문장을 영어로 번역해 주세요.", "The weather is nice today."),
    ("회의 시간을 오후 3시로 변경해도 될까요? 정중하게 답해 주세요.", "네, 오후 3시로 변경하겠습니다. 알려 주셔서 감사합니다."),
    ("쿠버네티스 파드의 리소스 제한을 YAML로 설정하는 방법을 설명하세요.",
     "resources 항목 아래 limits에 cpu와 memory 값을 적으면 됩니다."),
    ("다음 리뷰가 긍정인지 부정인지 분류하세요.", "긍정"),  # a two-syllable label is not judged
    ("우리나라에서 가장 높은 산은 무엇인가요?", "한라산입니다. 높이는 약 1,947미터입니다."),
])
def test_korean_text_passes(instruction, output):
    assert reasons(instruction, output) == []


def test_scores_per_field_only_with_enough_hangul():
    c = Candidate(id="c", instruction="다음 리뷰를 분류하세요.", input="Great phone, works well.", output="긍정")
    scores = statistical_scores(c)
    assert "korean.score.instruction" in scores and "korean.unknown.instruction" in scores
    assert not any(k.endswith((".input", ".output")) for k in scores if k.startswith("korean."))
    assert hangul_scores("긍정") is None and len("긍정") < MIN_SYLLABLES


def test_unknown_words_share():
    score, unknown = hangul_scores("임건민감카칼상웈")
    assert unknown == 1.0 and score < CFG.korean.min_score_per_syllable
    assert hangul_scores("서울의 날씨를 알려줘")[1] == 0.0


def test_threshold_from_config_decides():
    c = Candidate(id="c", instruction="다음 문장제 문절 절소는 탐조 이상 추올티런이면 필요하다.", output="경제")
    scores = statistical_scores(c)
    assert quality_reasons(scores, CFG) == ["not_korean"]
    lenient = QualityConfig(korean={"min_score_per_syllable": -20.0, "max_unknown_share": 1.0})
    assert quality_reasons(scores, lenient) == []
    assert quality_reasons(scores, QualityConfig(korean={"enabled": False})) == []
