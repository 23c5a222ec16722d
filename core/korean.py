"""The process's one Korean morphological analyzer (kiwipiepy).

kiwipiepy costs 1-2 s and ~540 MB to build, so there is one analyzer per process, built on
first use (never for text without Hangul). The Korean-similarity work keeps its morpheme views
here too; quality scoring reads token scores from the same analyzer.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from typing import Any

from core.errors import GerminateError

# Precomposed Hangul syllables. Text is NFC-normalised first, so jamo typed decomposed
# (macOS) arrives as syllables too.
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Syllables or conjoining jamo (the decomposed form): a cheap test before normalising.
_MAYBE_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff]")

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
