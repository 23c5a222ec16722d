"""Finding blacklisted keywords in an instruction, in English and in Korean.

English (and any text without Hangul) keeps Self-Instruct's rule: whole words or phrases,
case-insensitively, so "file" does not match "profile".

Korean attaches particles to nouns ("파일을", "그림으로"), so a whole-word match would miss
every real use. A Hangul keyword is matched on morphemes (`core.korean`) instead: it matches
when its content morphemes appear in a row among the text's, with anything attached. So
"파일을 열어" matches 파일 but "그림자" and "사진기" (one noun each) do not match 그림 and 사진,
and a noun used as a 하다-verb is an action, not the thing: "학생을 지도하는 방법" (to guide) does
not match 지도 (map). The analysis depends on context, so a loanword can still split the
way a keyword needs ("프로파일을" is sometimes read as 프로 + 파일): a false drop, never a miss. A keyword that is not made of content morphemes alone ("흐름도" reads as
흐름 + the particle 도) matches at the start of a word instead, so it never widens to "흐름".
"""

from __future__ import annotations

import re
from functools import lru_cache

from core import korean

# A noun followed by one of these is a verb or adjective stem (지도하다, 녹음되다).
_VERB_SUFFIXES = ("XSV", "XSA")


@lru_cache(maxsize=32)
def _latin_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    # Whole words only; a phrase may span any whitespace.
    alts = [r"\s+".join(map(re.escape, k.split())) for k in keywords if k.strip()]
    if not alts:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(alts)})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _korean_keyword(keyword: str) -> tuple[str, ...] | None:
    """The keyword's content morphemes, or None when they do not spell the whole keyword."""
    forms = tuple(m.form for m in korean.morphemes(keyword) if korean.is_content(m))
    return forms if "".join(forms) == "".join(keyword.split()) else None


def _things(text: str) -> list[str]:
    """The text's content morphemes in order, with nouns used as verb stems left out."""
    ms = korean.morphemes(text)
    out = []
    for i, m in enumerate(ms):
        if not korean.is_content(m):
            continue
        if m.tag.startswith("NN") and i + 1 < len(ms) and ms[i + 1].tag in _VERB_SUFFIXES:
            out.append("")  # a placeholder keeps neighbours from joining across it
            continue
        out.append(m.form)
    return out


def _has_run(seq: list[str], run: tuple[str, ...]) -> bool:
    n = len(run)
    return any(tuple(seq[i : i + n]) == run for i in range(len(seq) - n + 1))


def mentions_keyword(text: str, keywords: tuple[str, ...]) -> bool:
    """Whether `text` names any of `keywords` (rules in the module docstring)."""
    latin = tuple(k for k in keywords if not korean.has_hangul(k))
    pattern = _latin_pattern(latin)
    if pattern is not None and pattern.search(text):
        return True
    hangul = [k for k in keywords if korean.has_hangul(k)]
    if not hangul or not korean.has_hangul(text):
        return False
    things = None
    for k in hangul:
        run = _korean_keyword(k)
        if run is None:
            if re.search(rf"(?<!\w){re.escape(k)}", text):
                return True
            continue
        things = _things(text) if things is None else things
        if _has_run(things, run):
            return True
    return False
