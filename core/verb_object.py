"""What an instruction asks to do, as a (verb, object) pair: the diversity view of Self-Instruct
(Wang et al. 2022, fig. 2), used by report.html and by generation's search for novelty.

The paper parses instructions with Berkeley's parser. No parser model can be downloaded here, so
this is a HEURISTIC: English takes the first word if it is a common imperative verb and the next
content word as its object; Korean (verb-final) takes the last predicate and the nearest word
marked with the object particle 을/를. Instructions that do not fit are left out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

_EN_VERBS = frozenset("""add analyze answer arrange assess assign brainstorm build calculate categorize change check
choose classify combine compare compose compute construct convert correct count create critique decide define
describe design detect determine develop devise discuss edit estimate evaluate explain extract fill find fix format
formulate generate give guess identify imagine improve infer interpret introduce invent label list make match name
offer organize outline paraphrase pick plan predict prepare produce propose provide rank rate recommend rephrase
replace restate reverse review rewrite select shorten show simplify solve sort specify suggest summarize tell
transform translate turn use verify write""".split())
_EN_SKIP = frozenset("""a an the this that these those some any each every all both few several many more most other
another such my your our their his her its me us him them it one two three four five short brief new simple given
following above below good different possible appropriate detailed creative funny main""".split())
_EN_NO_OBJECT = frozenset("about for to of with in on into from by at whether if how what why when which who where "
                          "and or as".split())
_EN_ADJECTIVE = re.compile(r"(ous|ful|less|ly|able|ible|est)$")
_KO_AUX = ("주십시오", "주세요", "주시오", "줘", "보십시오", "보세요")  # 설명해 주세요 -> 설명
_KO_ENDINGS = [(e, "") for e in ("하십시오", "하세요", "하시오", "해라", "하라", "해요")] + [
    (e, "다") for e in ("으십시오", "십시오", "으세요", "세요", "으시오", "시오")]  # 쓰세요 -> 쓰다
_HANGUL = re.compile("[\uac00-\ud7a3]")
_TOKEN = re.compile(r"[^\W\d_]+")


def _en_lemma(word: str) -> str | None:
    """`word` as a known verb after a tiny suffix rule (Summarises -> summarize), else None."""
    w = re.sub(r"is(e|es|ed|ing)$", r"iz\1", word.lower())
    stems = (w[: len(w) - len(suffix)] + repl for suffix, repl in (("", ""), ("ies", "y"), ("es", ""), ("s", ""),
             ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e")) if w.endswith(suffix))
    return next((stem for stem in stems if stem in _EN_VERBS), None)


def _en_noun(word: str) -> str:
    """Singular by suffix: stories -> story, emails -> email (class, status, analysis, news stay)."""
    return re.sub(r"(?<=\w\w\w)(?<![suiw])s$", "", re.sub(r"(?<=\w\w)ies$", "y", word.lower()))


def _ko_predicate(token: str, before: str) -> str | None:
    """The stem of an imperative predicate word (요약하세요 -> 요약), else None."""
    if token in _KO_AUX:
        token = before + token
    for aux in _KO_AUX:
        if token.endswith(aux) and len(token) > len(aux):
            stem = token[: -len(aux)]
            return stem[:-1] if stem.endswith("해") and len(stem) > 1 else stem
    return next((token[: -len(e)] + tail for e, tail in _KO_ENDINGS
                 if token.endswith(e) and len(token) > len(e)), None)


def verb_noun(instruction: str) -> tuple[str, str | None] | None:
    """(root verb, direct-object noun or None) of an instruction, or None if it has no verb."""
    tokens = _TOKEN.findall(instruction)
    if _HANGUL.search(instruction):  # verb-final: the last imperative word, then its 을/를 object
        for i in range(len(tokens) - 1, -1, -1):
            verb = _ko_predicate(tokens[i], tokens[i - 1] if i else "")
            if verb:
                obj = next((t[:-1] for t in reversed(tokens[:i]) if t.endswith(("을", "를")) and len(t) > 1), None)
                return verb, obj
        return None
    tokens = tokens[1:] if tokens[:1] and tokens[0].lower() == "please" else tokens
    verb = _en_lemma(tokens[0]) if tokens else None
    if verb is None:
        return None
    for t in tokens[1:]:
        if t.lower() in _EN_NO_OBJECT:
            break
        if t.lower() not in _EN_SKIP and not _EN_ADJECTIVE.search(t.lower()):
            return verb, _en_noun(t)
    return verb, None


def verb_noun_table(instructions: list[str], top_verbs: int = 12, top_nouns: int = 4) -> dict[str, Any]:
    """The most common root verbs with their most common objects, and how many instructions fit."""
    pairs = [p for p in map(verb_noun, instructions) if p]
    verbs, nouns = Counter(v for v, _ in pairs), defaultdict(Counter)
    for v, n in pairs:
        nouns[v].update([n] if n else [])
    rows = [(v, n, nouns[v].most_common(top_nouns)) for v, n in verbs.most_common(top_verbs)]
    return {"rows": rows, "parsed": len(pairs), "total": len(instructions)}


# Charts draw a Figure and @_chart renders it. Text stays text (the browser picks a Korean font)
# and "$" in a label is not TeX.
