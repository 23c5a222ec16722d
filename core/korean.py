"""Korean text as morphemes and syllables: the Hangul half of the one token view (`core.text`).

Korean attaches particles (조사) and endings (어미) to words and spaces them loosely, so the same
request is written "서울의 날씨를 알려줘" or "서울 날씨를 알려 주세요": as space-separated words
they share one token of four. kiwipiepy's morphological analysis splits words into morphemes
with part-of-speech tags; keeping the *content* morphemes makes both requests
`[서울, 날씨, 알리]`.

kiwipiepy costs 1-2 s and ~540 MB to build, so there is one analyzer per process, built on the
first Hangul text (never for text without Hangul), and a cache of analysed texts: curation
looks at the same instruction several times (checks, duplicates, decontamination).
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from functools import lru_cache
from typing import Any, NamedTuple

from core.errors import GerminateError

# Precomposed Hangul syllables. Text is NFC-normalised first, so jamo typed decomposed
# (macOS) arrives as syllables too.
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Syllables or conjoining jamo (the decomposed form): a cheap test before normalising.
_MAYBE_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff]")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
# Spaces between two Hangul syllables: 띄어쓰기 varies freely, so syllable runs ignore it.
_HANGUL_SPACE = re.compile(r"(?<=[\uac00-\ud7a3])\s+(?=[\uac00-\ud7a3])")

# Content morphemes (Sejong tags as kiwipiepy uses them): nouns, pronouns, numerals, verb and
# adjective stems, adverbs, determiners, roots, and foreign words / Hanja / numbers. Dropped:
# particles J*, endings E*, suffixes XS* (하다/되다 of 정리하다), the copula VCP (이다),
# prefixes, interjections and punctuation. Measured on tests/data/korean_pairs_dev.jsonl.
CONTENT_TAGS = ("NN", "NP", "NR", "VV", "VA", "MAG", "MM", "XR")
# Auxiliary verbs that only add politeness or "try" (해 주세요, 해 드릴까요, 해 보세요) are
# phrasing; other auxiliaries carry meaning and stay: 않다/말다 negate ("쓰지 마세요").
PHRASING_AUXILIARIES = frozenset({"주", "드리", "보"})
# Bound nouns of auxiliary phrasing: "써 줄 수 있어?", "쓸 것", "쓴 거야", "쓸 줄 알아?".
PHRASING_BOUND_NOUNS = frozenset({"수", "것", "거", "줄", "데"})


class Morpheme(NamedTuple):
    form: str
    tag: str  # without kiwipiepy's irregular-conjugation marks (VA-I -> VA)
    start: int  # character offsets in the NFC text
    end: int


_LOCK = threading.Lock()
_ANALYZER: Any = None


def analyzer() -> Any:
    """The process's one `kiwipiepy.Kiwi` (single-threaded), built on first use."""
    global _ANALYZER
    with _LOCK:
        if _ANALYZER is None:
            try:
                from kiwipiepy import Kiwi
            except ImportError as exc:
                raise GerminateError(f"Korean text needs kiwipiepy: pip install kiwipiepy ({exc})") from None
            with warnings.catch_warnings():
                # num_workers=0 means one thread (faster than a pool on a busy machine); newer
                # kiwipiepy warns that the spelling will change.
                warnings.simplefilter("ignore", DeprecationWarning)
                _ANALYZER = Kiwi(num_workers=0)
        return _ANALYZER


def tokenize(text: str) -> list[Any]:
    """kiwipiepy's tokens of `text` (already NFC), under the lock: one Kiwi, many threads."""
    kiwi = analyzer()
    with _LOCK:
        return kiwi.tokenize(text)


def has_hangul(text: str) -> bool:
    """Whether `text` has a Hangul syllable (after NFC): the switch to the Korean view."""
    if not _MAYBE_HANGUL.search(text):
        return False
    return bool(HANGUL.search(text)) or bool(HANGUL.search(unicodedata.normalize("NFC", text)))


@lru_cache(maxsize=65536)
def morphemes(text: str) -> tuple[Morpheme, ...]:
    """kiwipiepy's best analysis of NFC `text`, cached per text."""
    text = unicodedata.normalize("NFC", text)
    kiwi = analyzer()
    with _LOCK:
        tokens = kiwi.tokenize(text)
    return tuple(Morpheme(t.form, t.tag.split("-")[0], t.start, t.start + t.len) for t in tokens)


def is_korean(m: Morpheme) -> bool:
    """A morpheme of Korean words (not a Latin word, number, Hanja, symbol or punctuation)."""
    return not m.tag.startswith(("S", "W"))


def is_content(m: Morpheme) -> bool:
    """A Korean morpheme that carries the request's meaning (see CONTENT_TAGS)."""
    if m.tag == "VX":
        return m.form not in PHRASING_AUXILIARIES
    if m.tag == "NNB" and m.form in PHRASING_BOUND_NOUNS:
        return False
    return m.tag.startswith(CONTENT_TAGS)


def hangul_bigrams(text: str) -> list[str]:
    """Syllable bigrams of each run of Hangul, spaces between syllables removed (a one-syllable
    run is itself), so 띄어쓰기 does not matter: "알려 줘" and "알려줘" give [알려, 려줘]."""
    joined = _HANGUL_SPACE.sub("", unicodedata.normalize("NFC", text))
    return [g for run in _HANGUL_RUN.findall(joined) for g in bigrams(run)]


def bigrams(s: str) -> list[str]:
    """Overlapping character bigrams of `s`; a one-character string is itself."""
    return [s[i : i + 2] for i in range(len(s) - 1)] if len(s) > 1 else ([s] if s else [])
