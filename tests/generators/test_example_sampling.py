"""The example-sampling rule on hand-built pools: what is under-represented is shown more, and a
request speaks one language."""

import random
from collections import Counter

import pytest

from core.records import Instance, SeedTask
from generators.example_sampling import OTHER, ExampleStock, draw_examples, language, task_kind, weighted_sample


def seed(i, text):
    return SeedTask(id=f"s{i}", instruction=text, instances=[Instance(output="ok")])


SEEDS = [seed(i, t) for i, t in enumerate([
    "Write a poem about the sea.",        # (write, poem)
    "Summarize the news article.",        # (summarize, news)
    "Translate the sentence into Korean.",  # (translate, sentence)
    "Classify the animal as a mammal or not.",  # (classify, animal)
    "Is this review positive?",           # OTHER
    "다음 기사를 한 문장으로 요약하세요.",     # (요약, 기사)
    "다음 문장을 영어로 번역하세요.",          # (번역, 문장)
])]
ENGLISH = SEEDS[:5]
POEMS = [f"Write a poem about {topic}." for topic in
         ("rain", "cats", "tea", "trains", "autumn", "chess", "rivers", "bread", "snow")]


def draws(stock, n, k, m, rule="novelty"):
    return [draw_examples(stock, random.Random(i), k, m, rule) for i in range(n)]


def test_task_kind_pairs_and_the_shared_other_kind():
    assert task_kind("Write a short poem about the sea.") == ("write", "poem")
    assert task_kind("Summarise this email.") == ("summarize", "email")
    assert task_kind("다음 기사를 한 문장으로 요약하세요.") == ("요약", "기사")
    assert task_kind("Explain why the sky is blue.") == ("explain", "")
    # No imperative verb: questions and a weak teacher's garbage share one kind, so garbage
    # (each piece unlike the others) cannot pass for a hundred rare kinds.
    assert task_kind("Is this review positive?") == OTHER
    assert task_kind("nbnc-to-philic-tamp-8-19-21") == OTHER
    assert task_kind("") == OTHER
    assert (language("Write a poem."), language("시를 쓰세요."), language("42")) == ("en", "ko", "")


def test_seed_weight_falls_with_the_rows_the_pool_has_of_its_verb_and_kind():
    # 9 rows (write, poem), 1 row (summarize, report): the same verb counts once, the same
    # verb and object twice.
    stock = ExampleStock.build(SEEDS, POEMS + ["Summarize the report."])
    assert stock.seed_weights() == [1 / 19, 1 / 2, 1, 1, 1, 1, 1]
    stories = ExampleStock.build(SEEDS, [f"Write a story about {t}." for t in range(10)])
    assert stories.seed_weights()[0] == 1 / 11


def test_a_seed_whose_kind_fills_the_pool_is_rarely_shown():
    # 9 poems in the pool: the poem seed weighs 1/19, the six seeds of kinds the pool lacks 1.
    stock = ExampleStock.build(SEEDS, POEMS)
    shown = Counter(s.id for chosen, _ in draws(stock, 4000, 1, 0) for s in chosen)
    rate = shown["s0"] / 4000
    # Expected (1/19) / (6 + 1/19) = 0.87%.
    assert 0.003 < rate < 0.017, shown
    # The uniform rule shows it 1 time in 7.
    uniform = Counter(s.id for chosen, _ in draws(stock, 4000, 1, 0, "uniform") for s in chosen)
    assert 0.12 < uniform["s0"] / 4000 < 0.165, uniform


def test_without_a_pool_every_seed_is_equally_likely_to_lead_a_request():
    stock = ExampleStock.build(SEEDS, [])
    shown = Counter(chosen[0].id for chosen, _ in draws(stock, 7000, 3, 2))
    assert set(shown) == {s.id for s in SEEDS}
    assert max(shown.values()) / min(shown.values()) < 1.2, shown


def test_a_request_speaks_one_language_and_languages_follow_the_seeds_weight():
    korean_rows = ["다음 글의 제목을 지어 주세요.", "다음 문장을 존댓말로 바꿔 주세요."]
    stock = ExampleStock.build(SEEDS, POEMS + ["Convert the recipe to metric units."] + korean_rows)
    languages = Counter()
    for chosen, machine in draws(stock, 2000, 6, 2):
        langs = {language(x) for x in [s.instruction for s in chosen] + machine}
        assert len(langs) == 1, (chosen, machine)
        languages[langs.pop()] += 1
        if language(chosen[0].instruction) == "ko":
            assert len(chosen) == 2 and sorted(machine) == sorted(korean_rows)  # all Korean there is
    # A request is Korean when its first seed is: the Korean seeds' share of the seed weights.
    weights = stock.seed_weights()
    expected = (weights[5] + weights[6]) / sum(weights)
    assert abs(languages["ko"] / 2000 - expected) < 0.04, (languages, expected)


def test_a_language_the_pool_has_much_of_is_asked_for_less():
    rows = [f"다음 기사를 {n}문장으로 요약하세요." for n in range(10)] + [f"다음 문장을 {n}번 번역하세요." for n in range(10)]
    stock = ExampleStock.build(SEEDS, rows)
    korean = sum(language(chosen[0].instruction) == "ko" for chosen, _ in draws(stock, 2000, 2, 0))
    # Both Korean seeds' kinds fill the pool (weight 1/21 each) against five English seeds of 1.
    assert korean / 2000 < 0.04


def test_machine_examples_cover_distinct_kinds_so_the_rare_row_is_always_shown():
    rare = "Convert the recipe to metric units."
    stock = ExampleStock.build(ENGLISH, POEMS * 5 + [rare])
    for _, machine in draws(stock, 200, 1, 2):
        assert sorted(map(task_kind, machine)) == [("convert", "recipe"), ("write", "poem")]
        assert rare in machine
    # Uniformly it is shown in about 2 of 46 draws.
    uniform = sum(rare in machine for _, machine in draws(stock, 2000, 1, 2, "uniform"))
    assert uniform < 200


def test_garbage_shares_one_kind_and_cannot_crowd_out_real_tasks():
    garbage = [f"kimchi.{n}.kimchi.com" for n in range(30)]
    stock = ExampleStock.build(ENGLISH, POEMS + garbage)
    shown = Counter("garbage" if x in garbage else "poem" for _, machine in draws(stock, 1000, 1, 1) for x in machine)
    # Two kinds (write-poem, other): half and half, although garbage is 30 of 39 rows.
    assert 420 < shown["poem"] < 580, shown


def test_a_rare_object_of_a_common_verb_is_shown_as_often_as_the_common_one():
    story = "Write a story about a lost key."
    stock = ExampleStock.build(ENGLISH, POEMS * 3 + [story])
    shown = sum(story in machine for _, machine in draws(stock, 2000, 1, 1))
    assert 850 < shown < 1150  # half of the draws: the verb's two objects are equally likely


def test_rows_of_a_kind_are_shown_evenly():
    stock = ExampleStock.build(ENGLISH, POEMS + ["Convert the recipe to metric units."])
    shown = Counter(text for _, machine in draws(stock, 9000, 1, 2) for text in machine if text in POEMS)
    assert set(shown) == set(POEMS)
    assert max(shown.values()) / min(shown.values()) < 1.3, shown


def test_fewer_kinds_than_wanted_fills_with_other_rows_never_twice():
    stock = ExampleStock.build(ENGLISH, POEMS[:3])
    for _, machine in draws(stock, 50, 1, 2):
        assert len(machine) == 2 and len(set(machine)) == 2
    # Asking for more than there is shows all of it.
    (_, machine), = draws(stock, 1, 1, 5)
    assert sorted(machine) == sorted(POEMS[:3])


def test_draws_are_a_pure_function_of_the_stock_and_the_rng():
    machine = POEMS + ["Convert the recipe to metric units.", "다음 글의 제목을 지어 주세요."]
    first = draws(ExampleStock.build(SEEDS, machine), 20, 3, 2)
    again = draws(ExampleStock.build(SEEDS, list(machine)), 20, 3, 2)
    assert [([s.id for s in c], m) for c, m in first] == [([s.id for s in c], m) for c, m in again]
    # Different request seeds draw different examples.
    assert len({tuple(s.id for s in c) + tuple(m) for c, m in first}) > 10
    # A different pool (another night's) changes the draw.
    other = draws(ExampleStock.build(SEEDS, POEMS[:2]), 20, 3, 2)
    assert [[s.id for s in c] for c, _ in first] != [[s.id for s in c] for c, _ in other]


def test_uniform_is_self_instructs_random_sample():
    stock = ExampleStock.build(SEEDS, POEMS, "uniform")
    chosen, machine = draw_examples(stock, random.Random(7), 4, 2, "uniform")
    rng = random.Random(7)
    assert (chosen, machine) == (rng.sample(SEEDS, 4), rng.sample(POEMS, 2))


def test_weighted_sample_draws_distinct_indices_and_all_when_asked_for_more():
    rng = random.Random(0)
    for _ in range(100):
        got = weighted_sample(rng, [1, 0.5, 0.25, 2], 3)
        assert len(got) == len(set(got)) == 3
    assert sorted(weighted_sample(rng, [1, 1], 5)) == [0, 1]
    # The heavy index is drawn first most often.
    first = Counter(weighted_sample(random.Random(i), [1, 8], 1)[0] for i in range(1000))
    assert 850 < first[1] < 940, first


def test_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown example sampling rule 'random'"):
        draw_examples(ExampleStock.build(SEEDS, []), random.Random(0), 2, 2, "random")
