"""Self-Instruct's base-model prompts: what the model is shown and where it is stopped."""

from core.records import Instance, SeedTask
from generators.base_prompts import (
    classification_prompt,
    instance_demos,
    instance_prompt,
    instance_stop,
    instruction_prompt,
    instruction_stop,
)


def seed(id, instruction, input="", output="answer", is_classification=False):
    return SeedTask(id=id, instruction=instruction, instances=[Instance(input=input, output=output)],
                    is_classification=is_classification)


EN = [seed("e1", "Summarize the article.", "The council met on Tuesday.", "The council met."),
      seed("e2", "Name three rivers in Asia.", "", "Mekong, Ganges, Yangtze"),
      seed("e3", "Is this review positive or negative?", "I loved it.", "positive", True),
      seed("e4", "Is this email spam?", "You won a cruise!", "spam", True),
      seed("e5", "Translate the sentence into Korean.", "Good morning.", "좋은 아침입니다.")]
KO = [seed("k1", "다음 기사를 한 문장으로 요약하세요.", "시의회가 화요일에 모였다.", "시의회가 모였다."),
      seed("k2", "비 오는 날 할 일을 세 가지 추천해 주세요.", "", "1. 독서\n2. 영화\n3. 요리"),
      seed("k3", "다음 리뷰가 긍정인지 부정인지 판단하세요.", "정말 맛있어요.", "긍정", True),
      seed("k4", "고객 문의를 '긴급' 또는 '일반'으로 분류하세요.", "배송이 안 와요!", "긴급", True)]


def test_instruction_prompt_is_a_numbered_list_left_open_for_the_model():
    examples = ["Write a poem about rain.", "Name three   rivers.\nIn Asia.", "Add 2 and 3."]
    text = instruction_prompt(examples)
    assert text == ("Come up with a series of tasks:\n1. Write a poem about rain.\n"
                    "2. Name three rivers. In Asia.\n3. Add 2 and 3.\n4.")


def test_korean_examples_get_a_korean_header():
    text = instruction_prompt([s.instruction for s in KO])
    assert text.startswith("다양한 작업 목록을 만들어 보세요:\n1. 다음 기사를")
    assert text.endswith("\n5.")
    # A mixed list goes by its majority.
    assert instruction_prompt(["Write a poem.", "Add 2 and 3.", "시를 쓰세요."]).startswith("Come up with")


def test_instruction_stop_ends_at_a_blank_line_or_the_number_past_the_wanted_tasks():
    assert instruction_stop(shown=8, wanted=4) == ["\n\n", "\n13."]


def test_classification_prompt_shows_seed_tasks_answered_yes_and_no():
    text = classification_prompt("Is this headline about sports?", EN, seed=1)
    assert text.startswith("Can the following task be regarded as a classification task with finite output labels?")
    assert "Task: Is this review positive or negative?\nIs it classification? Yes" in text
    assert "Task: Summarize the article.\nIs it classification? No" in text
    assert text.endswith("Task: Is this headline about sports?\nIs it classification?")


def test_classification_demos_follow_the_seeds_proportion_and_the_inverse_flips_them():
    seeds = [seed(f"n{i}", f"Write note number {i}.") for i in range(9)] + [seed("y", "Is it spam?", is_classification=True)]
    text = classification_prompt("Is this headline about sports?", seeds, seed=2)
    assert text.count("Is it classification? Yes") == 1 and text.count("Is it classification? No") == 7
    inverse = classification_prompt("Is this headline about sports?", seeds, seed=2, inverse=True)
    assert inverse.startswith("Is the following task open-ended, with no fixed set of output labels?")
    assert inverse.count("Is it open-ended? No") == 1 and inverse.count("Is it open-ended? Yes") == 7
    assert text.split("\n")[2::3] == inverse.split("\n")[2::3]  # the same tasks in the same order


def test_classification_prompt_prefers_examples_in_the_tasks_language():
    text = classification_prompt("이 문장이 질문인지 판단하세요.", EN + KO, seed=3)
    assert "분류 작업인가? 예" in text and "분류 작업인가? 아니요" in text
    assert "Summarize" not in text
    assert text.endswith("작업: 이 문장이 질문인지 판단하세요.\n분류 작업인가?")


def test_input_first_instance_prompt_ends_where_the_model_writes_the_fields():
    demos = instance_demos("Summarize this paragraph.", False, EN, seed=0)
    assert all(not d.is_classification for d in demos) and len(demos) == 3
    text = instance_prompt("Summarize this paragraph.", False, [EN[0], EN[1]])
    assert "Task: Summarize the article.\nInput: The council met on Tuesday.\nOutput: The council met.\n\n" in text
    # A seed without input shows no Input: line.
    assert "Task: Name three rivers in Asia.\nOutput: Mekong, Ganges, Yangtze\n\n" in text
    assert text.endswith("\n\nTask: Summarize this paragraph.\n")


def test_output_first_instance_prompt_asks_for_the_label_first():
    text = instance_prompt("Is this headline about sports?", True, [EN[2], EN[3]])
    assert "Task: Is this review positive or negative?\nClass label: positive\nInput: I loved it.\n" in text
    assert text.endswith("Task: Is this headline about sports?\nClass label:")


def test_korean_instance_prompts_use_korean_labels_and_stop_on_either():
    text = instance_prompt("다음 문장을 요약하세요.", False, [KO[0]])
    assert "작업: 다음 기사를 한 문장으로 요약하세요.\n입력: 시의회가 화요일에 모였다.\n출력: 시의회가 모였다." in text
    assert text.endswith("작업: 다음 문장을 요약하세요.\n")
    assert instance_stop("다음 문장을 요약하세요.") == ["\n작업:", "\nTask:", "\n\n\n"]
    assert instance_stop("Summarize this.") == ["\nTask:", "\n\n\n"]
    # OpenAI-compatible servers accept at most four stop strings.
    assert len(instruction_stop(8, 4)) <= 4


def test_demos_come_from_the_same_kind_and_language():
    demos = instance_demos("다음 문장이 긍정인지 판단하세요.", True, EN + KO, seed=5)
    assert {d.id for d in demos} == {"k3", "k4"}
    assert instance_demos("다음 문장이 긍정인지 판단하세요.", True, EN + KO, seed=5) == demos
