import pytest

from core.config import CurateConfig
from core.records import Candidate
from filters.checks import (
    CHECKS,
    blacklisted_keyword,
    check_all,
    degenerate_repetition,
    empty_output,
    instruction_length,
    output_copies_input,
    output_length,
    refusal,
    several_tasks,
    starts_with_punctuation,
    truncated,
    unparseable,
    wrong_language,
)
from filters.curate import REASONS

CFG = CurateConfig()

GOOD_EN = dict(
    instruction="Explain why the sky appears blue during the day.",
    output="Sunlight is scattered by air molecules, and blue light scatters the most.",
    finish_reason="stop",
)
GOOD_KO = dict(
    instruction="하늘이 왜 파란색인지 설명하세요.",
    output="햇빛이 공기 분자에 산란되는데, 파란빛이 가장 많이 산란되기 때문입니다.",
    finish_reason="stop",
)


def cand(base: dict = GOOD_EN, **changes) -> Candidate:
    return Candidate(id="c1", **{**base, **changes})


@pytest.mark.parametrize("base", [GOOD_EN, GOOD_KO], ids=["en", "ko"])
@pytest.mark.parametrize("check", CHECKS, ids=lambda f: f.__name__)
def test_good_examples_pass_every_check(check, base):
    assert check(cand(base), CFG) is None


def test_good_examples_have_no_reasons():
    assert check_all(cand(GOOD_EN), CFG) == []
    assert check_all(cand(GOOD_KO), CFG) == []


def test_unparseable_gets_only_that_reason():
    c = Candidate(id="c1", parse_error="no JSON object", raw="Sure! Here", finish_reason="length")
    assert unparseable(c, CFG) == "unparseable"
    assert check_all(c, CFG) == ["unparseable"]


def test_truncated():
    assert truncated(cand(finish_reason="length"), CFG) == "truncated"
    assert truncated(cand(finish_reason=None), CFG) is None


def test_empty_output_is_reported_once():
    c = cand(output="  \n ")
    assert empty_output(c, CFG) == "empty_output"
    assert output_length(c, CFG) is None
    assert check_all(c, CFG) == ["empty_output"]


def test_instruction_length():
    assert instruction_length(cand(instruction="Summarize."), CFG) == "instruction_too_short"
    long = "word " * 151
    assert instruction_length(cand(instruction=long), CFG) == "instruction_too_long"
    assert instruction_length(cand(instruction="word " * 150), CFG) is None


def test_korean_instruction_length_counts_words_not_syllables():
    assert instruction_length(cand(GOOD_KO, instruction="이 문장을 요약하세요"), CFG) is None
    # Five syllables but one word.
    one_word = cand(GOOD_KO, instruction="요약하세요")
    assert instruction_length(one_word, CFG) == "instruction_too_short"


def test_output_length():
    assert output_length(cand(output="word " * 401), CFG) == "output_too_long"
    assert output_length(cand(output="!!!"), CFG) == "output_too_short"
    assert output_length(cand(output="Yes"), CFG) is None


def test_blacklisted_keyword_matches_whole_words_only():
    for text in ["Draw a cat for me", "Describe this IMAGE.", "Go  to the website"]:
        assert blacklisted_keyword(cand(instruction=text), CFG) == "blacklisted_keyword"
    # "file" must not match inside "profile", nor "go to" inside "going to".
    assert blacklisted_keyword(cand(instruction="Update the user profile text."), CFG) is None
    assert blacklisted_keyword(cand(instruction="Say what is going to happen."), CFG) is None


@pytest.mark.parametrize("text", ["이 파일을 열어서 요약해 줘", "아래 그림으로 설명하세요", "사진 속 인물을 묘사해 주세요",
                                  "지도에서 서울역을 찾아 줘", "동영상의 내용을 정리해 줘", "그래프를 해석하시오"])
def test_korean_blacklist_matches_nouns_with_particles_attached(text):
    assert blacklisted_keyword(cand(instruction=text), CFG) == "blacklisted_keyword"


@pytest.mark.parametrize("text", ["그림자의 길이를 계산하는 방법을 알려 줘", "사진기의 역사를 설명해 주세요",
                                  "신입생을 지도하는 방법을 알려 주세요", "오늘 기온이 영상 5도일 때 입을 옷을 추천해 줘"])
def test_korean_blacklist_leaves_other_words_and_the_verb_sense_alone(text):
    # 그림자 (shadow) and 사진기 (camera) are nouns of their own; 지도하다 is "to guide", not a map.
    assert blacklisted_keyword(cand(instruction=text), CFG) is None


def test_korean_keyword_that_is_not_a_noun_matches_at_a_word_start():
    cfg = CurateConfig(blacklist=["흐름도"])  # read as 흐름 + the particle 도
    assert blacklisted_keyword(cand(instruction="업무 흐름도를 만들어 줘"), cfg) == "blacklisted_keyword"
    assert blacklisted_keyword(cand(instruction="물의 흐름을 설명해 줘"), cfg) is None


def test_blacklist_is_read_from_config():
    cfg = CurateConfig(blacklist=["email"])
    assert blacklisted_keyword(cand(instruction="Write an email."), cfg) == "blacklisted_keyword"
    assert blacklisted_keyword(cand(instruction="Draw a cat."), cfg) is None
    assert blacklisted_keyword(cand(instruction="Draw a cat."), CurateConfig(blacklist=[])) is None


@pytest.mark.parametrize(
    "text", ["- List three fruits.", "(a) Name a fruit.", "$5 is how much?", "#1 task"]
)
def test_starts_with_punctuation(text):
    assert starts_with_punctuation(cand(instruction=text), CFG) == "starts_with_punctuation"


@pytest.mark.parametrize(
    "text", ["1 plus 1 is what?", "  List three fruits.", "한국의 수도는?", "Ünïcode first",
             # A quotation opens an instruction about what it quotes (human-written rows do).
             "“Hello” in French?", "'식은 죽 먹기'라는 표현의 뜻을 알려 주세요.", '"Carpe diem" means what?']
)
def test_letters_and_digits_of_any_script_may_start(text):
    assert starts_with_punctuation(cand(instruction=text), CFG) is None


@pytest.mark.parametrize("text", [
    # The real night's kept row: a list of seed tasks run together in one task string.
    "Assign the news headline to one of these topics. 1. Classify the food item as a fruit or "
    "vegetable. 2. Convert the distance from miles to kilometers. 3. Find the word",
    "Determine whether the text message is spam or not spam.2. Solve this word problem.3. Rewrite it.",
    "Tell, 2. Learn a new fact, 3. Navigate a map",
    "다음 문장을 요약하세요. 2. 다음 글을 영어로 번역하세요.",
])
def test_several_tasks_run_together_on_one_line(text):
    assert several_tasks(cand(instruction=text), CFG) == "several_tasks"
    assert "several_tasks" in check_all(cand(instruction=text, output="An answer of some words."), CFG)


@pytest.mark.parametrize("text", [
    "Rate the movie from 1. to 5.", "Convert 3.5 km to miles, then 4.5 km.", "Use Python 3. Write a script.",
    "Put the steps in order: 1. mix the flour 2. add water",       # a list after a colon
    "Answer both questions:\n1. What is rain?\n2. What is snow?",  # a person's list: lines of its own
    "1. Write a haiku about autumn.",                                # one task with its marker
])
def test_numbers_that_are_not_a_run_together_list(text):
    assert several_tasks(cand(instruction=text), CFG) is None


def test_korean_passes_when_korean_is_allowed_and_fails_when_not():
    assert wrong_language(cand(GOOD_KO), CurateConfig(languages=["en", "ko"])) is None
    assert check_all(cand(GOOD_KO), CurateConfig(languages=["en", "ko"])) == []
    assert wrong_language(cand(GOOD_KO), CurateConfig(languages=["en"])) == "wrong_language"
    assert check_all(cand(GOOD_KO), CurateConfig(languages=["en"])) == ["wrong_language"]


def test_wrong_language_checks_the_output_too():
    c = cand(instruction="Translate 'good morning' into Japanese.", output="おはようございます")
    assert wrong_language(c, CFG) == "wrong_language"
    assert wrong_language(cand(output="42"), CFG) is None  # no letters, no language


def test_output_copies_input():
    c = cand(
        input="The quick brown fox jumps over the lazy dog.",
        output="the quick  brown fox jumps over the lazy dog",
    )
    assert output_copies_input(c, CFG) == "output_copies_input"
    near = cand(
        input="one two three four five six seven eight nine ten eleven twelve",
        output="one two three four five six seven eight nine ten eleven twelve thirteen",
    )
    assert output_copies_input(near, CFG) == "output_copies_input"
    answer = cand(input="The quick brown fox.", output="A fox that is fast.")
    assert output_copies_input(answer, CFG) is None
    assert output_copies_input(cand(input="", output=""), CFG) is None


@pytest.mark.parametrize("input, output", [
    ('{"server": {"host": "localhost", "port": 8080}, "debug": true}',
     "server:\n  host: localhost\n  port: 8080\ndebug: true"),  # JSON -> YAML: same words
    ("우유, 달걀, 식빵, 바나나", "- 우유\n- 달걀\n- 식빵\n- 바나나"),  # a list -> bullets
    ("민수는 어제 도서관에서 책을 빌렸다.", "민수는 어제 도서관에서 책을 빌렸나요?"),  # 평서문 -> 의문문: the same morphemes
])
def test_a_rewrite_that_keeps_its_inputs_words_is_not_a_copy(input, output):
    c = cand(input=input, output=output)
    from filters.similarity import rouge_l
    assert rouge_l(output, input) >= 0.9  # the token view alone would call it a copy
    assert output_copies_input(c, CFG) is None


def test_a_copy_with_a_changed_ending_is_still_a_copy():
    c = cand(input="오늘 회의는 오후 세 시에 3층 대회의실에서 시작합니다.",
             output="오늘 회의는 오후 세 시에 3층 대회의실에서 시작합니다!")
    assert output_copies_input(c, CFG) == "output_copies_input"


@pytest.mark.parametrize(
    "output",
    [
        "As an AI language model, I do not have personal opinions.",
        "I'm sorry, but I can't help with that request.",
        "I’m sorry, but I cannot do this.",
        "I cannot assist with creating that content.",
        "I am unable to browse the internet.",
        "죄송하지만 그 요청은 도와드릴 수 없습니다.",
        "저는 AI 언어 모델로서 개인적인 의견이 없습니다.",
    ],
)
def test_refusal(output):
    assert refusal(cand(output=output), CFG) == "refusal"


def test_refusal_phrases_inside_a_real_answer_are_not_refusals():
    email = "Dear Ms. Kim,\nThank you for the invitation. I am unable to attend on Friday."
    assert refusal(cand(output=email), CFG) is None
    letter = "김 선생님께,\n초대해 주셔서 감사합니다. 죄송하지만 금요일에는 참석할 수 없습니다."
    assert refusal(cand(GOOD_KO, output=letter), CFG) is None


def test_degenerate_repetition():
    looping = "the cat sat " * 5
    assert degenerate_repetition(cand(output=looping), CFG) == "degenerate_repetition"
    assert degenerate_repetition(cand(output="Wow" + "!" * 25), CFG) == "degenerate_repetition"
    laughing = cand(GOOD_KO, output="재밌다 " + "ㅋ" * 20)
    assert degenerate_repetition(laughing, CFG) == "degenerate_repetition"


def test_repetition_spares_layout_and_short_outputs():
    assert degenerate_repetition(cand(output="a b c a b c a"), CFG) is None  # under 8 words
    assert degenerate_repetition(cand(output="Title\n" + "-" * 40 + "\nBody"), CFG) is None
    code = "def f():\n" + " " * 24 + "return 1"
    assert degenerate_repetition(cand(output=code), CFG) is None
    lenient = CurateConfig(max_repeated_ngram_fraction=0.9)
    assert degenerate_repetition(cand(output="the cat sat " * 5), lenient) is None


def test_check_all_lists_every_reason_in_checks_order():
    c = cand(
        instruction="- Draw",
        output="As an AI language model, I cannot draw.",
        finish_reason="length",
    )
    assert check_all(c, CFG) == [
        "truncated",
        "instruction_too_short",
        "blacklisted_keyword",
        "starts_with_punctuation",
        "refusal",
    ]
    assert set(check_all(c, CFG)) <= set(REASONS)
