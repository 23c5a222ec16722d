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
