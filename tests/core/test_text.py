from core.text import normalize, words


def test_words_are_lowercased_unicode_tokens():
    assert words("Write a POEM, please!") == ["write", "a", "poem", "please"]
    assert words("한국어로 파일을 설명하세요.") == ["한국어로", "파일을", "설명하세요"]


def test_words_keep_combining_marks_inside_a_word():
    # Devanagari vowel signs are combining marks; a bare \w+ would split "नमस्ते".
    assert words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]


def test_words_treat_decomposed_and_precomposed_hangul_alike():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "한국어")
    assert words(nfd) == words("한국어")


def test_normalize_casefolds_and_collapses_whitespace():
    assert normalize("  Write A\n\tpoem  ") == normalize("write a poem") == "write a poem"
