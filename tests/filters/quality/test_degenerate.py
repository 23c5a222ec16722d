import pytest

from core.config import QualityConfig
from core.records import Candidate
from filters.quality import quality_reasons, statistical_scores
from filters.quality.degenerate import letter_share, repetition, repetition_rules

CFG = QualityConfig()


def reasons(instruction: str, output: str = "A complete answer.", input: str = "") -> list[str]:
    c = Candidate(id="c", instruction=instruction, input=input, output=output)
    return quality_reasons(statistical_scores(c), CFG)


@pytest.mark.parametrize("instruction", [
    "L-L-L-N-N-N-B-A-C-I-N-N-A-N-N-A-R-B-D-W-Y-B-Y-S-P-Q-Q-E-J-E-I-I-I-I-I-I-I",  # letter loop
    "Decision. 2. Decision. 2. 3. 2. Decision",  # list loop (from a real run)
    "Write a poem. Write a poem. Write a poem. Write a poem.",
    "닭고기, 닭고기, 닭고기, 닭고기, 닭고기, 닭고기를 요리하세요",
])
def test_loops_in_the_instruction_are_degenerate_text(instruction):
    output = "닭고기를 삶아 양념에 볶습니다." if "닭" in instruction else "A complete answer."
    assert reasons(instruction, output) == ["degenerate_text"]


@pytest.mark.parametrize("instruction", ["2022.11.17.23:19:31.473", "1000000 2000000 3000000", "$$ 12.5% -> 13.7% ??"])
def test_timestamps_and_digit_strings_are_not_instructions(instruction):
    assert reasons(instruction) == ["degenerate_text"]
    assert letter_share(instruction) < CFG.degenerate.min_instruction_letters


def test_looping_output_is_degenerate_text():
    output = "The answer is 42. " * 12
    assert reasons("What is six times seven?", output) == ["degenerate_text"]


@pytest.mark.parametrize("instruction,output", [
    ("Explain why the sky appears blue during the day.",
     "Sunlight is scattered by air molecules, and blue light scatters the most."),
    # Natural repetition in a short text: one repeated bigram is not a loop.
    ("Describe the cat.", "The cat sat on the mat. The cat was happy."),
    ("Convert the temperature from Fahrenheit to Celsius.", "25°C"),
    ("Extract the names and quantities as JSON.", '{"printer paper": 3, "stapler": 2, "blue pen": 10}'),
    ("Write a Python function that reverses a string.", "def reverse(s):\n    return s[::-1]"),
    ("List the first five prime numbers.", "2, 3, 5, 7, 11"),
])
def test_good_rows_are_not_degenerate(instruction, output):
    assert reasons(instruction, output) == []


@pytest.mark.parametrize("twice,three_times", [
    ('When do I use "its" and when do I use "it\'s"?',
     'When do I use "its", when do I use "it\'s" and when do I use "itz"?'),
    ("어떤 책을 읽으면 좋을까, 어떤 책을 읽으면 도움이 될까?",
     "어떤 책을 읽으면 좋을까, 어떤 책을 읽으면 도움이 될까, 어떤 책을 읽으면 재미있을까?"),
])
def test_a_phrase_said_twice_is_not_a_loop_three_times_is(twice, three_times):
    # The repeated 3-4-gram fills over a sixth of the characters on its one repeat: it must occur
    # three times before Gopher's top-n-gram rule counts it.
    output = "『어린 왕자』를 추천합니다." if "책" in twice else "A complete answer."
    assert reasons(twice, output) == []
    assert max(repetition_rules(twice, count_first=True).values()) > 1  # datatrove would drop it
    assert reasons(three_times, output) == ["degenerate_text"]


def test_scores_are_stored_per_field_and_blank_fields_have_none():
    scores = statistical_scores(Candidate(id="c", instruction="Describe the sea.", output="Blue and deep."))
    assert {"degenerate.repetition.instruction", "degenerate.repetition.output",
            "degenerate.letters.instruction"} <= set(scores)
    assert "degenerate.repetition.input" not in scores
    assert repetition("   ") is None and letter_share("") is None


def test_threshold_is_a_multiple_of_gophers_own_limits():
    text = "chicken, " * 40
    rules = repetition_rules(text)
    assert rules["top_2_gram"] > 1.0  # past Gopher's 0.20 character share
    assert repetition(text) == max(rules.values())
    lenient = QualityConfig(degenerate={"max_repetition": repetition(text) + 0.1})
    c = Candidate(id="c", instruction="Name a bird.", output=text)
    assert quality_reasons(statistical_scores(c), lenient) == []


def test_unparseable_candidates_get_no_scores():
    assert statistical_scores(Candidate(id="c", parse_error="no JSON", raw="...")) == {}


PARITY_TEXTS = [
    "chicken, " * 40, "The answer is 42. " * 12, "line one\nline one\nline one\nline two",
    "Explain why the sky appears blue during the day.", "The cat sat on the mat. The cat was happy.",
    "a b c d e f g h i j a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "Decision. 2. Decision. 2. 3. 2. Decision", "para one.\n\npara one.\n\npara two.",
    "닭고기, " * 40, "다음 문장을 영어로 번역해 주세요.", "1" + "0" * 120,
    "Sunlight is scattered by air molecules, and blue light scatters the most. " * 3,
]


@pytest.mark.parametrize("text", PARITY_TEXTS)
def test_same_verdict_as_datatrove_without_the_repeat_guard(text):
    """The mirrored rules ARE datatrove's: with its top n-gram rule (no repeat guard) and the
    same word split, every text gets datatrove's verdict."""
    pytest.importorskip("datatrove")
    from datatrove.data import Document
    from datatrove.pipeline.filters import GopherRepetitionFilter
    from datatrove.utils.word_tokenizers import WordTokenizer

    from core.text import words

    class Words(WordTokenizer):
        def word_tokenize(self, text):
            return words(text)

        def sent_tokenize(self, text):
            return [text]

        def span_tokenize(self, text):
            return [(0, len(text))]

    theirs = GopherRepetitionFilter(language=Words()).filter(Document(text=text, id="x"))
    ours = repetition_rules(text, count_first=True)
    # datatrove stops at the first rule that fails, in table order; so do we.
    failed = next((rule for rule, value in ours.items() if value > 1.0), None)
    assert (theirs is True and failed is None) or (theirs != True and theirs[1] == failed)  # noqa: E712
