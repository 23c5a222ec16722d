import pytest

from generators.parsing import (
    CLASSIFICATION_SCHEMA,
    InstanceReply,
    extract_json,
    instance_schema,
    parse_instance,
    parse_instructions,
    parse_is_classification,
    tasks_schema,
)

# --- extract_json -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"a": {"b": 1}}',
    '```json\n{"a": {"b": 1}}\n```',
    '```\n{"a": {"b": 1}}\n```',
    'Here it is: {"a": {"b": 1}} -- enjoy!',
])
def test_extract_json_finds_the_object(text):
    assert extract_json(text) == {"a": {"b": 1}}


def test_extract_json_returns_none_without_json():
    assert extract_json("no json here") is None
    assert extract_json('{"a": 1') is None


# --- parse_instructions -----------------------------------------------------------------

def test_instructions_from_valid_json():
    text = '{"tasks": ["Write a poem about rain.", "Name three rivers in Asia."]}'
    assert parse_instructions(text) == (["Write a poem about rain.", "Name three rivers in Asia."], None)


def test_instructions_from_fenced_json():
    text = 'Sure!\n```json\n{"tasks": ["Write a haiku about autumn."]}\n```'
    assert parse_instructions(text) == (["Write a haiku about autumn."], None)


def test_instructions_from_json_with_prose_around():
    text = 'Here are the new tasks:\n{"tasks": ["Explain photosynthesis simply."]}\nHope this helps.'
    assert parse_instructions(text) == (["Explain photosynthesis simply."], None)


def test_malformed_json_is_named():
    assert parse_instructions('{"tasks": ["Write a poem" "Name a color"]}') == ([], "malformed JSON")


def test_truncated_json_says_it_was_cut():
    text = '{"tasks": ["Write a poem about the sea.", "Describe'
    assert parse_instructions(text, finish_reason="length") == ([], "malformed JSON (cut at max_tokens)")
    # The same text that ended normally is just malformed.
    assert parse_instructions(text, finish_reason="stop") == ([], "malformed JSON")


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_reply(text):
    assert parse_instructions(text) == ([], "empty reply")


def test_numbered_list_fallback():
    text = "1. Write a poem\n2) Name a color\n- List three fruits\nThat is all I have."
    assert parse_instructions(text) == (["Write a poem", "Name a color", "List three fruits"], None)


def test_prose_without_list_is_an_error():
    assert parse_instructions("I cannot think of any new tasks.") == ([], "no JSON and no list of tasks")


@pytest.mark.parametrize("text", [
    '["Write a poem.", "Name a color."]',        # a list, not an object
    '{"tasks": [1, 2]}',                          # tasks are not strings
    '{"instructions": ["Write a poem."]}',        # wrong key
    '{"tasks": []}',                              # nothing in it
])
def test_json_of_the_wrong_shape(text):
    assert parse_instructions(text) == ([], "JSON without a 'tasks' list of strings")


def test_tasks_that_are_all_blank():
    assert parse_instructions('{"tasks": ["", "   "]}') == ([], "'tasks' list is empty")


def test_korean_tasks_survive():
    text = '{"tasks": ["비 오는 날에 대한 짧은 시를 쓰세요.", "다음 문장을 영어로 번역하세요."]}'
    assert parse_instructions(text) == (["비 오는 날에 대한 짧은 시를 쓰세요.", "다음 문장을 영어로 번역하세요."], None)


def test_numbering_inside_json_items_is_stripped():
    text = '{"tasks": ["1. Write a poem.", "2)  Name  a color.", "- List fruits.", "3.5 is a number: round it."]}'
    tasks, error = parse_instructions(text)
    assert error is None
    assert tasks == ["Write a poem.", "Name a color.", "List fruits.", "3.5 is a number: round it."]


def test_whitespace_inside_json_items_is_collapsed():
    assert parse_instructions('{"tasks": ["Summarize  this\\ttext\\n in one line."]}') == (
        ["Summarize this text in one line."], None)


def test_numbering_is_stripped_from_multiline_items():
    text = '{"tasks": ["2) Summarize the text below.\\nText: The sky is blue."]}'
    assert parse_instructions(text) == (["Summarize the text below. Text: The sky is blue."], None)


def test_numbered_list_with_braces_still_parses():
    text = "1. Explain what {} means in a Python f-string.\n2. Name three primary colors."
    assert parse_instructions(text) == (
        ["Explain what {} means in a Python f-string.", "Name three primary colors."], None)


# --- parse_is_classification ------------------------------------------------------------

@pytest.mark.parametrize("text, label", [
    ('{"is_classification": true}', True),
    ('```json\n{"is_classification": false}\n```', False),
    ("Yes, it is.", True),
    ("no", False),
    ("네, 분류 작업입니다.", True),
    ("아니요", False),
])
def test_classification_answers(text, label):
    assert parse_is_classification(text) == (label, None)


@pytest.mark.parametrize("text", ["", "maybe", '{"is_classification": "perhaps"}'])
def test_classification_without_an_answer(text):
    assert parse_is_classification(text) == (None, "no yes/no answer")


@pytest.mark.parametrize("text", ["Not sure.", "None of the above."])
def test_words_that_merely_start_with_no_are_not_an_answer(text):
    assert parse_is_classification(text) == (None, "no yes/no answer")


# --- parse_instance ---------------------------------------------------------------------

def test_instance_from_json_is_stripped():
    assert parse_instance('{"input": "  I love it ", "output": " positive\\n"}') == (
        InstanceReply(input="I love it", output="positive"), None)


def test_instance_input_defaults_to_empty():
    assert parse_instance('{"output": "Paris"}') == (InstanceReply(input="", output="Paris"), None)


def test_instance_keeps_korean():
    text = '```json\n{"input": "오늘 날씨가 좋다.", "output": "The weather is nice today."}\n```'
    assert parse_instance(text) == (InstanceReply(input="오늘 날씨가 좋다.", output="The weather is nice today."), None)


@pytest.mark.parametrize("text, error", [
    ('{"input": "x"}', "JSON without a string 'output'"),
    ('{"input": "x", "output": 5}', "JSON without a string 'output'"),
    ('["x", "y"]', "JSON is not an object"),
    ('{"input": "x", "output": "y"', "malformed JSON"),
    ("", "empty reply"),
    ("  \n", "empty reply"),
    ("The answer is seven.", "no JSON and no Input:/Output: fields"),
])
def test_instance_errors(text, error):
    assert parse_instance(text) == (None, error)


def test_truncated_instance_says_it_was_cut():
    assert parse_instance('{"input": "a long text", "output": "The sum', "length") == (
        None, "malformed JSON (cut at max_tokens)")


def test_labelled_fallback():
    text = "Input: 3 + 4\nOutput: 7"
    assert parse_instance(text) == (InstanceReply(input="3 + 4", output="7"), None)
    lower = "input:   \noutput: 하늘은 파랗다.\n"
    assert parse_instance(lower) == (InstanceReply(input="", output="하늘은 파랗다."), None)


def test_labelled_fallback_with_braces_in_output():
    text = "Input: name = 'Kim'\nOutput: print(f'Hello {name}')"
    assert parse_instance(text) == (InstanceReply(input="name = 'Kim'", output="print(f'Hello {name}')"), None)


# --- schemas ----------------------------------------------------------------------------

def test_tasks_schema_caps_the_count():
    schema = tasks_schema(5)
    assert schema["required"] == ["tasks"]
    assert schema["properties"]["tasks"]["maxItems"] == 5
    assert schema["additionalProperties"] is False


def test_instance_schema_orders_label_first_for_classification():
    assert list(instance_schema(output_first=True)["properties"]) == ["output", "input"]
    assert list(instance_schema(output_first=False)["properties"]) == ["input", "output"]


def test_classification_schema_requires_the_flag():
    assert CLASSIFICATION_SCHEMA["required"] == ["is_classification"]
