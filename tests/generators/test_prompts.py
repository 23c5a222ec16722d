import json

import pytest

from core.records import Instance, SeedTask
from generators.prompts import classification_messages, instance_messages, instruction_messages


def seed(id, instruction, input, output, is_classification=False):
    return SeedTask(id=id, instruction=instruction, instances=[Instance(input=input, output=output)],
                    is_classification=is_classification)


SENTIMENT = seed("s1", "Classify the sentiment of the review.", "I loved every minute.", "positive", True)
SPAM = seed("s2", "Is this email spam?", "You won a free cruise!", "spam", True)
SUMMARY = seed("s3", "Summarize the text in one sentence.", "The council met on Tuesday.", "The council met.")


def content(messages):
    assert [m["role"] for m in messages] == ["user"]
    return messages[0]["content"]


def test_instruction_prompt_shows_every_example_and_asks_for_n():
    examples = ["Write a poem about rain.", "비 오는 날에 대한 시를 쓰세요.", "Name three rivers."]
    text = content(instruction_messages(examples, 5, ["en", "ko"]))
    for i, ex in enumerate(examples, start=1):
        assert f"{i}. {ex}\n" in text
    assert "Write 5 new tasks." in text
    assert text == text.strip()


def test_instruction_prompts_share_the_fixed_prefix():
    """Fixed instructions come before the examples, so vLLM's prefix cache can reuse them."""
    a = content(instruction_messages(["Write a poem about rain.", "Name three rivers."], 4, ["en"]))
    b = content(instruction_messages(["Translate 'hello' into Korean.", "Add 2 and 3."], 4, ["en"]))
    prefix = a[: a.index("Write a poem about rain.")]
    assert b.startswith(prefix)
    assert b.index("Translate 'hello'") == len(prefix)
    assert "Rules:" in prefix and "Write only the instruction" in prefix


@pytest.mark.parametrize("languages, said", [(["ko"], "in Korean like"), (["en"], "in English like"),
                                             (["en", "ko"], "in English or Korean like"),
                                             (["ko", "en", "ja"], "in Korean, English or Japanese like")])
def test_instruction_prompt_says_the_configured_languages(languages, said):
    text = content(instruction_messages(["다음 글을 요약하세요."], 3, languages))
    assert said in text
    assert text.count("English") == said.count("English")


def test_classification_instance_prompt_is_output_first():
    text = content(instance_messages("Is this review positive or negative?", True, [SENTIMENT, SPAM]))
    demo = json.dumps({"output": "positive", "input": "I loved every minute."})
    assert demo in text
    assert text.index('"output": "spam"') < text.index('"input": "You won a free cruise!"')
    assert "First choose one class label" in text
    assert text.rstrip().endswith('Reply with one JSON object with the keys "output" (the label) and "input".')
    assert "Task: Is this review positive or negative?" in text


def test_other_instance_prompt_is_input_first():
    text = content(instance_messages("Summarize the article.", False, [SUMMARY]))
    demo = json.dumps({"input": "The council met on Tuesday.", "output": "The council met."})
    assert demo in text
    assert "First choose one class label" not in text
    assert text.rstrip().endswith('Reply with one JSON object with the keys "input" and "output".')
    # The task being asked about comes after the demos.
    assert text.index("Task: Summarize the text in one sentence.") < text.index("Task: Summarize the article.")


def test_instance_prompt_keeps_korean_unescaped():
    demo = seed("k", "다음 문장을 영어로 번역하세요.", "안녕하세요.", "Hello.")
    text = content(instance_messages("다음 문장을 요약하세요.", False, [demo]))
    assert '"input": "안녕하세요."' in text
    assert "\\u" not in text


def test_classification_question_names_the_task():
    text = content(classification_messages("Is this email spam?"))
    assert "Task: Is this email spam?" in text
    assert '{"is_classification": true}' in text
