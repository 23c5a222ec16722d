"""The Korean view: content morphemes, syllable bigrams, and no cost for text without Hangul."""

import subprocess
import sys
import unicodedata
from pathlib import Path

from core import korean
from core.text import match_tokens, normalize, similarity_tokens, words

REPO = Path(__file__).resolve().parents[2]


def test_particles_endings_and_politeness_auxiliaries_are_dropped():
    assert match_tokens("서울의 날씨를 알려줘") == ["서울", "날씨", "알리"]
    assert match_tokens("서울 날씨를 알려 주세요") == ["서울", "날씨", "알리"]
    # 하다 of 번역하다 is a suffix (XSV); 주다 and the copula are phrasing.
    assert match_tokens("다음 문장을 영어로 번역해 주세요.") == match_tokens("다음 문장을 영어로 번역하시오")


def test_negation_and_meaningful_auxiliaries_stay():
    assert "않" in match_tokens("숫자를 쓰지 않고 설명해 줘")
    assert match_tokens("파일을 열지 마세요") != match_tokens("파일을 여세요")


def test_latin_words_and_numbers_inside_korean_are_plain_words():
    tokens = match_tokens("Python 코드에서 don't 같은 표현을 3.5초 안에 찾아 줘")
    assert tokens[:1] == ["python"]
    assert "don" in tokens and "t" in tokens and "3" in tokens and "5" in tokens
    assert "코드" in tokens and "표현" in tokens


def test_text_without_hangul_is_its_words():
    text = "Rewrite this blunt message so it sounds polite, please!"
    assert match_tokens(text) == words(text)
    assert similarity_tokens(text) == words(text)
    assert normalize("  Write A\n\tpoem  ") == "write a poem"


def test_hangul_similarity_tokens_are_a_sorted_bag():
    a = similarity_tokens("손님 초대 상차림으로 간단한 요리 하나 추천해 줘")
    b = similarity_tokens("간단한 요리 하나 손님 초대 상차림으로 추천해 줘")
    assert a == sorted(a) and b == sorted(b)
    assert set(a) & set(b)
    # Bigrams are marked apart from morphemes: "~" raw syllables, "+" the content stream.
    assert any(t.startswith("~") for t in a) and any(t.startswith("+") for t in a)


def test_spacing_and_decomposed_jamo_do_not_change_the_bigrams():
    assert korean.hangul_bigrams("알려 줘") == korean.hangul_bigrams("알려줘") == ["알려", "려줘"]
    nfd = unicodedata.normalize("NFD", "파일을 열어 줘")
    assert korean.has_hangul(nfd)
    assert match_tokens(nfd) == match_tokens("파일을 열어 줘")


def test_korean_exact_key_sees_through_spacing_and_particles():
    assert normalize("다음 문장을 영어로 번역해 주세요.") == normalize("다음 문장을 영어로 번역해주세요")
    assert normalize("서울의 날씨를 알려줘") == normalize("서울 날씨 알려 주세요")
    assert normalize("서울 날씨를 알려 줘") != normalize("부산 날씨를 알려 줘")


def test_analysis_is_cached_per_text():
    korean.morphemes.cache_clear()
    korean.morphemes("같은 문장을 두 번 분석합니다.")
    korean.morphemes("같은 문장을 두 번 분석합니다.")
    assert korean.morphemes.cache_info().hits == 1


def test_english_only_work_never_loads_the_analyser():
    """Building kiwipiepy costs ~2 s and ~540 MB: text without Hangul must not pay it."""
    code = (
        "import sys\n"
        "from core.text import match_tokens, normalize, similarity_tokens\n"
        "from filters.similarity import rouge_l\n"
        "rouge_l('Write a poem about the sea.', 'Write a poem about rain.')\n"
        "normalize('Write a poem'); match_tokens('Summarize the text')\n"
        "from core import korean\n"
        "assert korean._ANALYZER is None, 'analyser built'\n"
        "assert 'kiwipiepy' not in sys.modules, 'kiwipiepy imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
