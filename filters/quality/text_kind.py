"""What kind of text a field is: prose, or code / data / a list, which the language-model-style
signals (Korean morphology, language agreement) cannot judge as prose.

Measured on the human-written rows (tests/data/quality, seeds/): the lowest kiwipiepy scores of
good Korean text were all structured: JSON ({"이름": "박지민", "나이": 29}), "key: value" lines
(거래처: 한빛인쇄, 품목: ...), bullet lists of bare nouns. Nouns without particles cost the
morpheme LM as much as broken words, so such fields are not scored.
"""

from __future__ import annotations

import re

# Characters of code and data; a text this dense in them is not prose. Quotation marks are
# not among them: prose quotes the labels it asks for ('긍정' 또는 '부정').
_CODE_CHARS = set("(){}[]<>=;:_/\\|#$%&*+")
CODE_SHARE = 0.08
# A line that starts a list item: "- ", "* ", "• ", "1. ", "2) ".
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


def looks_like_code(text: str) -> bool:
    """A fenced block, or code/data punctuation on at least CODE_SHARE of the characters."""
    if "```" in text:
        return True
    chars = [ch for ch in text if not ch.isspace()]
    return bool(chars) and sum(ch in _CODE_CHARS for ch in chars) / len(chars) >= CODE_SHARE


def looks_like_list(text: str) -> bool:
    """At least two lines, and most of them list items."""
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 2 and sum(bool(_LIST_ITEM.match(line)) for line in lines) * 2 > len(lines)


def looks_structured(text: str) -> bool:
    """Code, data or a list rather than prose."""
    return looks_like_code(text) or looks_like_list(text)
