"""Language agreement: the output is written in a language the task calls for.

Allowed are the instruction's language, the input's (fix this English sentence, 이 리뷰를
분류하세요 + an English review -> "positive"), and any language the instruction names
("into Korean", "영어로"), including code ("SQL 쿼리를 작성하세요" allows an English query). A word of the output that also appears in the instruction or input
is allowed whatever its script, and so is a word partly in an allowed script (Korean attaches
particles to English terms: "cpu와"): quoted labels ("'positive' 또는 'negative'로 답하세요"),
product names, terms. Code and structured data (JSON, SQL) have no natural language, so such
an output gets no score. Languages are scripts (`core.language`): Latin counts as "en".
"""

from __future__ import annotations

import re

from core.language import detect_language
from core.text import words
from filters.quality.text_kind import looks_like_code

# Names of languages, in English and Korean, and the script-language they are written in.
NATURAL_LANGUAGE_NAMES: dict[str, str] = {
    "english": "en", "영어": "en", "korean": "ko", "한국어": "ko", "한글": "ko", "우리말": "ko",
    "japanese": "ja", "일본어": "ja", "chinese": "zh", "중국어": "zh", "한자": "zh",
    "russian": "ru", "러시아어": "ru", "arabic": "ar", "아랍어": "ar", "greek": "el", "그리스어": "el",
    "thai": "th", "태국어": "th", "hindi": "hi", "힌디어": "hi", "hebrew": "he", "히브리어": "he",
    # Latin-script languages all read as "en" to the script detector.
    "french": "en", "프랑스어": "en", "spanish": "en", "스페인어": "en", "german": "en", "독일어": "en",
    "italian": "en", "이탈리아어": "en", "portuguese": "en", "포르투갈어": "en", "latin": "en",
    "vietnamese": "en", "베트남어": "en", "indonesian": "en", "인도네시아어": "en",
}
# Code and data are written in Latin script whatever the request's language.
CODE_NAMES: dict[str, str] = {
    "code": "en", "코드": "en", "python": "en", "파이썬": "en", "sql": "en", "쿼리": "en", "query": "en",
    "javascript": "en", "자바스크립트": "en", "java": "en", "자바": "en", "html": "en", "css": "en",
    "json": "en", "yaml": "en", "regex": "en", "regular expression": "en", "정규식": "en", "정규 표현식": "en",
    "bash": "en", "shell": "en", "셸": "en", "c++": "en", "rust": "en", "go": "en",
}
LANGUAGE_NAMES: dict[str, str] = {**NATURAL_LANGUAGE_NAMES, **CODE_NAMES}
# A name as a whole word (Korean particles may follow: "영어로", "파이썬으로").
_NAMES = re.compile(r"(?<![\w+])(?:" + "|".join(sorted(map(re.escape, LANGUAGE_NAMES), key=len, reverse=True))
                    + r")(?![A-Za-z+])", re.IGNORECASE)
# A translation is asked into a natural language, never into code.
_NATURAL_ALT = "|".join(sorted(map(re.escape, NATURAL_LANGUAGE_NAMES), key=len, reverse=True))
# "Translate ... into/to Korean" (within one sentence), "영어로 번역/옮기세요".
_TRANSLATE_INTO = re.compile(r"\btranslat\w*\b[^.?!\n]*?\b(?:in)?to\s+(?:the\s+)?(" + _NATURAL_ALT + r")\b"
                             r"|(" + _NATURAL_ALT + r")\s*(?:으로|로)\s*(?:번역|옮기|옮겨)", re.IGNORECASE)


def translation_target(instruction: str) -> str | None:
    """The language a translation request asks for ("Translate the headline into Korean" ->
    "ko"), or None when the instruction is not one."""
    m = _TRANSLATE_INTO.search(instruction)
    return NATURAL_LANGUAGE_NAMES[(m.group(1) or m.group(2)).lower()] if m else None


def allowed_languages(instruction: str, input: str) -> set[str]:
    """The instruction's and the input's languages and every language the instruction names;
    for a translation request, only its target language. (A real night kept "Translate the
    given news headline into Korean." + "carrot" -> "fruit": English was allowed because the
    instruction is English.)"""
    target = translation_target(instruction)
    if target:
        return {target}
    allowed = {lang for lang in (detect_language(instruction), detect_language(input)) if lang}
    allowed |= {LANGUAGE_NAMES[m.group(0).lower()] for m in _NAMES.finditer(instruction)}
    return allowed


def language_share(instruction: str, input: str, output: str) -> float | None:
    """Share of the output's words that are allowed: written (at least partly) in an allowed
    language's script, or found in the instruction or input. Words, not letters, are the unit:
    a Hangul syllable is one character and an English term several, so Korean prose with a few
    English terms ("limits에 cpu와 memory 값을 적으면 됩니다") would read as English by letters.
    None when there is nothing to judge: no words in the output, no language in the
    instruction, or code/data."""
    if detect_language(instruction) is None or looks_like_code(output):
        return None
    allowed = allowed_languages(instruction, input)
    given = set(words(instruction)) | set(words(input))
    judged = [w for w in words(output) if any(ch.isalpha() for ch in w)]
    if not judged:
        return None
    ok = sum(w in given or bool(_scripts(w) & allowed) for w in judged)
    return ok / len(judged)


def _scripts(word: str) -> set[str]:
    return {lang for ch in word if ch.isalpha() and (lang := detect_language(ch))}


def language_scores(instruction: str, input: str, output: str) -> dict[str, float]:
    """`language.share` when the output can be judged."""
    share = language_share(instruction, input, output)
    return {} if share is None else {"language.share": round(share, 4)}
