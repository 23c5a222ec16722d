from pathlib import Path

import pytest

from core.errors import GerminateError
from core.records import load_tasks
from evals.constraints import check, check_loose, instruction_level, loose_variants, prompt_level, validate

EVAL_SET = Path(__file__).resolve().parents[2] / "seeds" / "eval.jsonl"


@pytest.mark.parametrize("constraint, answer, expected", [
    ({"type": "word_count", "min": 2, "max": 3}, "one two", True),
    ({"type": "word_count", "min": 2, "max": 3}, "one two three", True),
    ({"type": "word_count", "min": 2, "max": 3}, "one", False),
    ({"type": "word_count", "min": 2, "max": 3}, "one two three four", False),
    ({"type": "word_count", "max": 2}, "  spaced\n\tout  ", True),
    ({"type": "word_count", "min": 1}, "   ", False),
    # Korean words are space-separated 어절, particles included: three words here.
    ({"type": "word_count", "max": 3}, "안녕하세요 저는 학생입니다.", True),
    ({"type": "word_count", "max": 2}, "안녕하세요 저는 학생입니다.", False),
    ({"type": "word_count", "min": 1, "max": 1}, "긍정", True),
])
def test_word_count(constraint, answer, expected):
    assert check(constraint, answer) is expected


@pytest.mark.parametrize("answer, expected", [
    ("- one\n- two\n- three", True),
    ("* one\n  - two\n* three", True),  # indented bullets count, "* " counts
    ("Intro line\n- one\n- two\n- three\nOutro", True),
    ("- one\n- two", False),
    ("- one\n- two\n- three\n- four", False),
    ("-one\n-two\n-three", False),  # no space after the dash: not a bullet
    ("1. one\n2. two\n3. three", False),
])
def test_bullet_count_exactly_three(answer, expected):
    assert check({"type": "bullet_count", "min": 3, "max": 3}, answer) is expected


def test_contains_is_case_insensitive_and_works_for_korean():
    assert check({"type": "contains", "keyword": "because"}, "Bubbles, BECAUSE it floats.")
    assert not check({"type": "contains", "keyword": "because"}, "Bubbles, since it floats.")
    assert check({"type": "contains", "keyword": "생일"}, "생일 축하해요!")
    assert not check({"type": "contains", "keyword": "생일"}, "축하해요!")


def test_not_contains_is_case_insensitive():
    assert check({"type": "not_contains", "keyword": "cheap"}, "Fresh bread every morning.")
    assert not check({"type": "not_contains", "keyword": "cheap"}, "Cheap and cheerful bread.")


def test_lowercase():
    assert check({"type": "lowercase"}, "a cat is a small, furry pet.")
    assert not check({"type": "lowercase"}, "a cat is a small pet named Tom.")
    assert check({"type": "lowercase"}, "고양이는 귀엽다")  # Hangul has no case


@pytest.mark.parametrize("answer, expected", [
    ('{"city": "Paris", "country": "France"}', True),
    ('  \n[1, 2, 3]\n', True),
    ('```json\n{"city": "Paris"}\n```', True),
    ('```\n{"city": "Paris"}\n```', True),
    ('Here it is: {"city": "Paris"}', False),  # only the JSON was asked for
    ('```json\n{"city": "Paris"}\n```\nHope this helps!', False),
    ("{'city': 'Paris'}", False),  # Python dict, not JSON
    ("NaN", False),
    ("", False),
])
def test_json(answer, expected):
    assert check({"type": "json"}, answer) is expected


def test_language():
    assert check({"type": "language", "lang": "ko"}, "오늘은 날씨가 좋네요. Python도 배워요.")
    assert not check({"type": "language", "lang": "ko"}, "The weather is nice today.")
    assert check({"type": "language", "lang": "en"}, "The weather is nice today.")
    assert not check({"type": "language", "lang": "en"}, "42")  # no letters: no language


def test_unknown_type_is_an_error_naming_it():
    with pytest.raises(GerminateError, match="'rhyme'"):
        check({"type": "rhyme"}, "anything")


@pytest.mark.parametrize("constraint", [
    {"type": "word_count"},  # no bound at all: could never fail
    {"type": "word_count", "max": "ten"},
    {"type": "contains"},
    {"type": "language"},
])
def test_malformed_constraint_is_an_error(constraint):
    with pytest.raises(GerminateError, match="constraint"):
        check(constraint, "some answer")


def test_prompt_level_needs_every_constraint_of_an_item():
    items = [
        ([{"type": "lowercase"}, {"type": "word_count", "max": 3}], "all good here"),
        ([{"type": "lowercase"}, {"type": "word_count", "max": 3}], "Not good here"),
        ([{"type": "contains", "keyword": "x"}], "no"),
        ([], "items without constraints are left out"),
    ]
    assert prompt_level(items) == pytest.approx(1 / 3)
    # Instruction level: 2 + 1 + 0 of 5 constraints pass.
    assert instruction_level(items) == pytest.approx(3 / 5)


def test_accuracies_are_na_without_constraints():
    items = [([], "an answer"), ([], "another")]
    assert prompt_level(items) is None
    assert instruction_level(items) is None
    assert prompt_level([]) is None


def test_prompt_level_checks_every_constraint_even_after_a_failure():
    with pytest.raises(GerminateError, match="'rhyme'"):
        prompt_level([([{"type": "lowercase"}, {"type": "rhyme"}], "Upper")])


def test_every_eval_reference_satisfies_its_own_constraints():
    tasks = [t for t in load_tasks(EVAL_SET, what="eval") if t.constraints]
    assert len(tasks) == 145  # seeds/README.md: 145 of the 158 eval tasks have constraints
    for task in tasks:
        answer = task.instances[0].output
        failed = [c for c in task.constraints if not check(c, answer)]
        assert not failed, f"{task.id}: reference fails {failed}"
    assert prompt_level([(t.constraints, t.instances[0].output) for t in tasks]) == 1.0


def test_loose_variants_are_ifevals_eight_minus_the_blank_ones():
    variants = loose_variants("Sure! Here it is:\n**paris**\nHope this helps.")
    assert variants == [
        "Sure! Here it is:\n**paris**\nHope this helps.", "**paris**\nHope this helps.",
        "Sure! Here it is:\n**paris**", "**paris**",
        "Sure! Here it is:\nparis\nHope this helps.", "paris\nHope this helps.",
        "Sure! Here it is:\nparis", "paris",
    ]
    # A one-line answer: removing a line leaves nothing, and blank variants are skipped.
    assert loose_variants("*hi*") == ["*hi*", "hi"]


# Hand-built cases where IFEval's strict and loose rules part ways (and where they agree).
@pytest.mark.parametrize("constraint, answer, strict, loose", [
    # A chatty first line breaks "only JSON" strictly; loose drops it.
    ({"type": "json"}, 'Here is the JSON:\n{"city": "Paris"}', False, True),
    # Markdown emphasis: strictly the JSON is '**{...}**'; with "*" removed it parses.
    ({"type": "json"}, '**{"a": 1}**', False, True),
    # A capitalised sign-off on the last line fails lowercase strictly, not loosely.
    ({"type": "lowercase"}, "a cat naps all day.\nThanks!", False, True),
    # Uppercase in the middle line stays in every variant: both fail.
    ({"type": "lowercase"}, "one\nTwo\nthree", False, False),
    # Too many words because of a preamble: the variant without it fits.
    ({"type": "word_count", "max": 3}, "Sure, here you go:\nTokyo is capital", False, True),
    # Word counts too low stay too low in every variant.
    ({"type": "word_count", "min": 5}, "Tokyo.", False, False),
    # A forbidden keyword on the first line only: loose forgives it, as IFEval does.
    ({"type": "not_contains", "keyword": "sorry"}, "Sorry!\nHere is a poem.\nThe end.", False, True),
    # A required keyword: present in the answer means present in the full variant.
    ({"type": "contains", "keyword": "서울"}, "수도는 서울입니다.", True, True),
    ({"type": "contains", "keyword": "서울"}, "수도는 부산입니다.", False, False),
    # Bold bullets: "**- a**" is no bullet; without "*" it is.
    ({"type": "bullet_count", "min": 2, "max": 2}, "**- a**\n**- b**", False, True),
])
def test_strict_and_loose_on_hand_built_cases(constraint, answer, strict, loose):
    assert check(constraint, answer) is strict
    assert check_loose(constraint, answer) is loose


def test_loose_accuracies_are_at_least_the_strict_ones():
    items = [
        ([{"type": "json"}], 'Here is the JSON:\n{"a": 1}'),     # strict fail, loose pass
        ([{"type": "lowercase"}, {"type": "word_count", "max": 2}], "ok fine"),  # both pass
        ([{"type": "word_count", "min": 4}], "too short"),       # both fail
    ]
    assert prompt_level(items) == pytest.approx(1 / 3)
    assert prompt_level(items, loose=True) == pytest.approx(2 / 3)
    assert instruction_level(items) == pytest.approx(2 / 4)
    assert instruction_level(items, loose=True) == pytest.approx(3 / 4)


def test_validate_rejects_a_malformed_constraint_without_an_answer():
    validate([{"type": "lowercase"}, {"type": "word_count", "max": 3}])
    with pytest.raises(GerminateError, match="'rhyme'"):
        validate([{"type": "rhyme"}])
    with pytest.raises(GerminateError, match="'min', 'max'"):
        validate([{"type": "word_count"}])
