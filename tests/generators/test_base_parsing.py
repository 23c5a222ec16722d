"""Parsing what a small base model writes: hand-built continuations, malformed ones included."""

import pytest

from generators.base_parsing import parse_instance_text, parse_task_list


def test_a_clean_continuation_gives_the_wanted_tasks():
    text = " Write a haiku about snow.\n10. Explain photosynthesis.\n11. List three prime numbers."
    assert parse_task_list(text, 9, 4, "stop") == (
        ["Write a haiku about snow.", "Explain photosynthesis.", "List three prime numbers."], None)


def test_only_the_wanted_number_of_tasks_is_kept():
    text = " A task here.\n10. Another task.\n11. A third.\n12. A fourth.\n13. A fifth."
    assert parse_task_list(text, 9, 2)[0] == ["A task here.", "Another task."]


@pytest.mark.parametrize("text, kept", [
    # Runaway numbering: the model restarted its list.
    (" First new task.\n10. Second new task.\n1. Restarted list.\n2. More.", ["First new task.", "Second new task."]),
    # A repeated number.
    (" First new task.\n9. The same number again.", ["First new task."]),
    # A skipped number.
    (" First new task.\n11. Skipped ten.", ["First new task."]),
    # Prose after the list: an answer, an "Input:" line.
    (" 다음 문장을 영어로 번역하세요.\nInput: 안녕하세요\n10. 뒤의 것은 무시됩니다.", ["다음 문장을 영어로 번역하세요."]),
    ("  Spaces   and\ttabs   collapse.\r\n10) Parenthesis numbering works.", ["Spaces and tabs collapse.", "Parenthesis numbering works."]),
])
def test_malformed_lists_keep_only_the_tasks_in_sequence(text, kept):
    assert parse_task_list(text, 9, 4, "stop") == (kept, None)


def test_a_task_cut_at_max_tokens_is_dropped():
    text = " Write a short story about a dragon.\n10. Describe the water cycle in"
    assert parse_task_list(text, 9, 4, "length") == (["Write a short story about a dragon."], None)
    # A list that ended before the cut is whole: nothing is dropped.
    text = " Write a short story.\n10. Name a color.\nAnswer: blue blue blue blue"
    assert parse_task_list(text, 9, 4, "length") == (["Write a short story.", "Name a color."], None)


@pytest.mark.parametrize("text, finish, error", [
    ("", "stop", "empty reply"),
    ("   \n ", "stop", "empty reply"),
    ("\n10. The first line was empty.", "stop", "no task numbered 9."),
    (" Half a tas", "length", "cut at max_tokens before a whole task"),
])
def test_nothing_usable_is_an_error_never_an_exception(text, finish, error):
    assert parse_task_list(text, 9, 4, finish) == ([], error)


def test_input_first_instance_with_and_without_input():
    inst, err = parse_instance_text("Input: The council met.\nOutput: A meeting happened.", output_first=False)
    assert err is None and (inst.input, inst.output) == ("The council met.", "A meeting happened.")
    inst, err = parse_instance_text("Output: Mekong, Ganges, Yangtze", output_first=False)
    assert err is None and (inst.input, inst.output) == ("", "Mekong, Ganges, Yangtze")


def test_instance_output_keeps_its_lines_and_stops_at_the_next_field():
    text = "Input: 날짜: 5월 12일\n출력: 제목: 연차 신청\n\n팀장님, 안녕하세요.\nInput: another example"
    inst, err = parse_instance_text(text, output_first=False)
    assert err is None
    # "날짜:" and "제목:" are not field labels; the Korean 출력: counts as Output:.
    assert inst.input == "날짜: 5월 12일"
    assert inst.output == "제목: 연차 신청\n\n팀장님, 안녕하세요."


def test_text_before_the_first_field_is_ignored():
    inst, err = parse_instance_text(" (continued instruction words)\nInput: x = 3\nOutput: 9", output_first=False)
    assert err is None and (inst.input, inst.output) == ("x = 3", "9")


@pytest.mark.parametrize("text, error", [
    ("", "empty reply"),
    ("Input: only an input, never an output", "no Output: field"),
    ("The model just answered without labels.", "no Output: field"),
    ("Input: something\nOutput:   \nTask: next", "empty Output: field"),
])
def test_input_first_missing_fields(text, error):
    assert parse_instance_text(text, output_first=False) == (None, error)


def test_output_first_reads_the_label_then_its_input():
    inst, err = parse_instance_text(" positive\nInput: I loved every minute.\n", output_first=True)
    assert err is None and (inst.output, inst.input) == ("positive", "I loved every minute.")
    inst, err = parse_instance_text(" 긴급\n입력: 주문한 물건이 망가져서 왔어요.", output_first=True)
    assert err is None and (inst.output, inst.input) == ("긴급", "주문한 물건이 망가져서 왔어요.")


@pytest.mark.parametrize("text, error", [
    ("\nInput: no label was written", "no class label"),
    (" spam", "no Input: for the class label"),
    (" spam\nInput:   ", "no Input: for the class label"),
])
def test_output_first_missing_fields(text, error):
    assert parse_instance_text(text, output_first=True) == (None, error)
