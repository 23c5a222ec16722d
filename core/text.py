"""Word tokens and normalised keys shared by every filter.

One tokenizer for length limits, repetition, ROUGE-L and decontamination, so "a word" means
the same thing everywhere. It is Unicode-aware: Korean, Greek or Cyrillic words are words,
where rouge-score's ASCII-only tokenizer turns a Korean sentence into nothing.
"""

from __future__ import annotations

import re
import sys
import unicodedata


def _combining_marks() -> str:
    """A regex class body of every combining mark (Unicode category M*) in the BMP.

    Python's `\\w` excludes marks, which would split Hindi or Thai words at each vowel
    sign; listing them keeps such words whole. Scanning the BMP once takes a few ms.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(min(sys.maxunicode, 0xFFFF) + 1):
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


# A word starts with a word character and may carry combining marks after it.
_WORD = re.compile(rf"\w[\w{_combining_marks()}]*")


def words(text: str) -> list[str]:
    """Lowercased word tokens (`\\w+`, any script), in order.

    Text is NFC-normalised first so a Korean word typed as decomposed jamo (macOS) and the
    same word as precomposed syllables give the same token. Korean words are the
    space-separated units (어절), particles included: "파일을" is one word.
    """
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def normalize(text: str) -> str:
    """The exact-duplicate key: NFC, casefolded, whitespace collapsed to single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
