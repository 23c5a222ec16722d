import pytest

from core.language import detect_language


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Explain why the sky is blue.", "en"),
        ("하늘이 왜 파란색인지 설명하세요.", "ko"),
        ("东京是日本的首都。", "zh"),
        ("東京は日本の首都です。", "ja"),  # kanji with kana is Japanese, not Chinese
        ("Привет, как дела?", "ru"),
        ("مرحبا بالعالم", "ar"),
        ("Γειά σου κόσμε", "el"),
        ("สวัสดีครับ", "th"),
        ("नमस्ते दुनिया", "hi"),
        ("שלום עולם", "he"),
        ("ＦＵＬＬＷＩＤＴＨ", "en"),
    ],
)
def test_dominant_script_names_the_language(text, lang):
    assert detect_language(text) == lang


def test_latin_script_is_taken_as_english():
    # Deliberate: a script cannot separate English from French.
    assert detect_language("Ça va très bien, merci.") == "en"


@pytest.mark.parametrize("text", ["", "42", "3.14 + 2 = 5.14", "!!! ---", "   "])
def test_no_letters_means_no_language(text):
    assert detect_language(text) is None


def test_korean_starting_with_non_ascii_is_not_penalised():
    # The Self-Instruct rule "first character must be ASCII" must not apply here.
    assert detect_language("「서울」은 한국의 수도입니다") == "ko"


def test_majority_of_letters_wins_in_mixed_text():
    assert detect_language("Python으로 리스트를 정렬하는 코드를 작성하세요") == "ko"
    assert detect_language("Use the 김치 recipe") == "en"


def test_unknown_script_is_undetermined_not_none():
    assert detect_language("வணக்கம்") == "und"
