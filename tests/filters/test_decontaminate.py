from core.config import CurateConfig
from core.records import Candidate, Instance, SeedTask
from filters.decontaminate import EvalIndex

EVAL = [
    SeedTask(
        id="eval_translate",
        instruction="Translate the following sentence into French.",
        instances=[
            Instance(
                input="The weather is lovely today so we will walk to the beach.",
                output="Il fait beau.",
            )
        ],
    ),
    SeedTask(
        id="eval_capital",
        instruction="한국의 수도는 어디인가요?",
        instances=[Instance(output="서울입니다.")],
    ),
]
INDEX = EvalIndex.from_config(EVAL, CurateConfig())


def test_shared_ngram_with_an_eval_item_is_overlap():
    c = Candidate(
        id="c1",
        instruction="Rewrite this in the past tense.",
        input="The weather is lovely today so we will walk to the park.",  # 8-word run shared
    )
    assert INDEX.overlap(c) == "eval_translate"


def test_short_paraphrase_of_an_eval_instruction_is_overlap():
    # Six words: no 8-gram exists, but ROUGE-L with the eval instruction is 10/12.
    c = Candidate(id="c1", instruction="Translate the following sentence to French.")
    assert INDEX.overlap(c) == "eval_translate"
    ko = Candidate(id="c2", instruction="한국의 수도는 어디인가요", output="서울")
    assert INDEX.overlap(ko) == "eval_capital"


def test_unrelated_candidate_is_clean():
    c = Candidate(id="c1", instruction="List three fruits that are red.", input="", output="Apple.")
    assert INDEX.overlap(c) is None
    # Seven shared words are below n=8 and the instructions differ.
    seven = Candidate(
        id="c2", instruction="Count the words.", input="Weather is lovely today so we will"
    )
    assert INDEX.overlap(seven) is None


def test_ngram_length_comes_from_config():
    small = EvalIndex.from_config(EVAL, CurateConfig(decontamination={"ngram": 3}))
    c = Candidate(id="c1", instruction="Count the words.", input="We will walk there.")
    assert small.overlap(c) == "eval_translate"
    assert INDEX.overlap(c) is None


def test_empty_eval_set_flags_nothing():
    assert EvalIndex([], 8, 0.7).overlap(Candidate(id="c1", instruction="Anything at all here")) is None


def test_output_reproducing_an_eval_reference_is_overlap():
    # A reworded instruction, but the output carries 8 words of the eval item's text.
    c = Candidate(id="c1", instruction="Write a sentence about a nice day out.", input="",
                  output="The weather is lovely today so we will walk outside.")
    assert INDEX.overlap(c) == "eval_translate"
    ko_eval = SeedTask(id="eval_ko", instruction="서울을 소개하세요.",
                       instances=[Instance(output="서울은 한국의 수도이며 인구가 가장 많은 도시로 한강이 도시를 가로지릅니다.")])
    ko = Candidate(id="c2", instruction="한국의 큰 도시 하나를 설명해 주세요.",
                   output="서울은 한국의 수도이며 인구가 가장 많은 도시로 한강이 흐릅니다.")
    assert EvalIndex.from_config([ko_eval], CurateConfig()).overlap(ko) == "eval_ko"


def test_output_ngrams_do_not_span_into_the_input():
    # Four words at the end of the input and four at the start of the output make no 8-gram.
    c = Candidate(id="c1", instruction="Continue.", input="lovely today so we",
                  output="will walk to the beach.")
    assert INDEX.overlap(c) is None
