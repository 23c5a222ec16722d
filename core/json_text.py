"""Finding the JSON in a model's reply: teachers and judges wrap it in prose or code fences."""

from __future__ import annotations

import json
import re
from typing import Any

from core.records import sanitize

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def extract_json(text: str) -> Any | None:
    """The first JSON object in `text`: whole text, a fenced block, or the outermost braces."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for cand in candidates:
        try:
            # Lone surrogates (a "\ud83d" escape) would break every later UTF-8 write.
            return sanitize(json.loads(cand))
        # ValueError covers JSONDecodeError and Python's limit on huge integer literals.
        except (ValueError, RecursionError):
            continue
    return None
