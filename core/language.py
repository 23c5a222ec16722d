"""Which language a text is in, judged by the writing system of its letters.

Self-Instruct dropped any instruction whose first character is not ASCII; that rule would
throw away every Korean example, so we do not copy it. Instead each letter is assigned its
Unicode script and the script with the most letters names the language.

Decision: Latin script is reported as "en". A script cannot tell English from French or
Vietnamese, and a model-sized language identifier would be a heavy dependency for the one
question this pipeline asks ("is this the language family we asked for?"). So a user who
lists "en" accepts any Latin-script text, and a user who lists "ko" accepts Hangul text.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

# Unicode character-name prefixes and the language each script stands for. Order matters
# only for ties: a non-Latin script wins a tie with Latin, because mixed text is usually
# the other language quoting English terms ("Python 코드를 설명").
SCRIPTS: tuple[tuple[str, str], ...] = (
    ("HANGUL", "ko"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("CJK", "zh"),
    ("CYRILLIC", "ru"),
    ("ARABIC", "ar"),
    ("GREEK", "el"),
    ("THAI", "th"),
    ("DEVANAGARI", "hi"),
    ("HEBREW", "he"),
    ("LATIN", "en"),
)
_PRIORITY = {lang: i for i, (_, lang) in enumerate(SCRIPTS)}

# Letters of a script not listed above: the text is in some language we cannot name.
UNDETERMINED = "und"


@lru_cache(maxsize=65536)
def _script_language(ch: str) -> str:
    """The language of one letter's script, read from its Unicode name."""
    name = unicodedata.name(ch, "")
    # Strip width/presentation qualifiers: "FULLWIDTH LATIN ...", "HALFWIDTH KATAKANA ...".
    for qualifier in ("FULLWIDTH ", "HALFWIDTH ", "CIRCLED ", "PARENTHESIZED "):
        name = name.removeprefix(qualifier)
    for prefix, lang in SCRIPTS:
        if name.startswith(prefix):
            return lang
    return UNDETERMINED


def detect_language(text: str) -> str | None:
    """The language of the dominant script among `text`'s letters, or None if it has none.

    Han characters count as Chinese unless kana appear too, in which case the text is
    Japanese (Japanese mixes kanji with kana; Chinese never uses kana). Digits, punctuation
    and code symbols are not letters, so "42" or "x = 1" give None or "en" respectively,
    never a wrong language.
    """
    counts: Counter[str] = Counter(_script_language(ch) for ch in text if ch.isalpha())
    if not counts:
        return None
    if counts["ja"]:
        counts["ja"] += counts.pop("zh", 0)
    return max(
        (lang for lang in counts if counts[lang]),
        key=lambda lang: (counts[lang], -_PRIORITY.get(lang, len(_PRIORITY))),
    )


# What the prompts call each language code (`curate.languages` is the one list of them).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "ko": "Korean", "ja": "Japanese", "zh": "Chinese", "ru": "Russian",
    "ar": "Arabic", "el": "Greek", "th": "Thai", "hi": "Hindi", "he": "Hebrew",
}
# Country codes and names people type for a language code (ISO 639-1 is what we accept).
_MISTAKES = {
    "kr": "ko", "kor": "ko", "korean": "ko", "kp": "ko", "eng": "en", "english": "en",
    "us": "en", "uk": "en", "gb": "en", "jp": "ja", "jpn": "ja", "japanese": "ja",
    "cn": "zh", "zho": "zh", "chi": "zh", "chinese": "zh", "gr": "el", "greek": "el",
    "iw": "he", "il": "he", "rus": "ru", "russian": "ru", "sa": "ar", "in": "hi",
}


def unknown_language(code: str) -> str | None:
    """None for a language code germinate can detect, else a one-line complaint with the
    likely intended code ("kr" -> "ko")."""
    if code in LANGUAGE_NAMES:
        return None
    guess = _MISTAKES.get(code.strip().lower())
    hint = f"; did you mean '{guess}'?" if guess else ""
    return f"unknown language code '{code}'{hint} (known: {', '.join(LANGUAGE_NAMES)})"


def language_names(codes: list[str] | tuple[str, ...]) -> str:
    """"English", "English or Korean", "English, Korean or Japanese" for prompts."""
    names = [LANGUAGE_NAMES.get(c, c) for c in dict.fromkeys(codes)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
