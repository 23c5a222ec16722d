"""`RUN/report.html`: one self-contained page with the run's funnel, drops, lengths, similarity,
diversity, samples, eval scores and the registry's history. Counting is pure functions over ledger rows.

Charts are matplotlib figures inlined as SVG, so the page needs no JavaScript, network or side files
and can be mailed, archived or opened from a CI artifact (plotly would embed ~3.5 MB of JavaScript per
page; altair loads vega from a CDN unless vendored). SVG text stays `<text>` so the browser draws Korean
with its own fonts. Teacher text is untrusted: the template autoescapes; only our SVG is marked safe.
"""

from __future__ import annotations

import functools
import io
import json
import re
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure

from core.config import PipelineConfig, load_config
from core.errors import GerminateError
from core.records import LedgerRow
from core.store import RunDir, atomic_write_text
from core.templating import template
from core.text import words
from evals import gate
from filters import drop_counts
from filters.curate import EXACT_DUPLICATE, NEAR_DUPLICATE
from filters.decontaminate import REASON as EVAL_OVERLAP
from reports.console import METRICS
from reports.outputs import read_ledger

DEDUP = {EXACT_DUPLICATE, NEAR_DUPLICATE}
SET_LEVEL = DEDUP | {EVAL_OVERLAP}  # every other reason comes from a per-example check
SAMPLES_PER_REASON = 5
HISTORY_RUNS = 30


def funnel(rows: list[LedgerRow]) -> list[tuple[str, int]]:
    """generated -> passed per-example checks -> passed dedup -> kept (after decontamination):
    a row passes a stage when no reason from that stage or an earlier one applies."""
    checked = [r for r in rows if not set(r.reasons) - SET_LEVEL]
    deduped = [r for r in checked if not set(r.reasons) & DEDUP]
    return [("generated", len(rows)), ("passed per-example checks", len(checked)),
            ("passed dedup", len(deduped)), ("kept", sum(r.verdict == "kept" for r in rows))]


def samples(rows: list[LedgerRow], limit: int = SAMPLES_PER_REASON) -> dict[str, list[LedgerRow]]:
    """Up to `limit` kept rows, then up to `limit` rows for each drop reason (pipeline order)."""
    groups = {"kept": [r for r in rows if r.verdict == "kept"]}
    groups |= {reason: [r for r in rows if reason in r.reasons] for reason in drop_counts(rows)}
    return {k: v[:limit] for k, v in groups.items() if v}


# --- verb-noun diversity (Self-Instruct, Wang et al. 2022, fig. 2) --------------------------
# The paper parses instructions with Berkeley's parser. No parser model can be downloaded here,
# so this is a HEURISTIC: English takes the first word if it is a common imperative verb and the
# next content word as its object; Korean (verb-final) takes the last predicate and the nearest
# word marked with the object particle 을/를. Instructions that do not fit are left out.

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
_RC = {"svg.fonttype": "none", "text.parse_math": False, "font.size": 9}


def _chart(draw):
    """Draw under our rc settings (they apply when text is created) and return inline `<svg>`
    without XML prolog, namespace URLs or the `id`s every chart repeats; None if nothing to draw."""
    @functools.wraps(draw)
    def render(*args: Any) -> Markup | None:
        buf = io.StringIO()
        with matplotlib.rc_context(_RC), warnings.catch_warnings():
            # matplotlib measures Hangul with DejaVu metrics: only its layout is approximate.
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            fig = draw(*args)
            if fig is None:
                return None
            fig.savefig(buf, format="svg", bbox_inches="tight",
                        metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
        text = buf.getvalue()
        # Only hashed ids ("p1a2b3c4d5e", clip paths and markers) are referenced; they stay.
        return Markup(re.sub(r' (xmlns(:xlink)?|id)="(?![a-z]+[0-9a-f]{10}")[^"]*"', "", text[text.index("<svg"):]))
    return render


@_chart
def bar_chart(items: list[tuple[str, int]], color: str) -> Figure | None:
    if not items or not items[0][1]:
        return None
    fig = Figure(figsize=(7, 0.35 * len(items) + 0.8))
    ax = fig.subplots()
    ax.bar_label(ax.barh([k for k, _ in items][::-1], [v for _, v in items][::-1], color=color), padding=3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


@_chart
def lengths_chart(rows: list[LedgerRow]) -> Figure | None:
    parsed = [r for r in rows if not r.parse_error]
    if not parsed:
        return None
    fig = Figure(figsize=(9, 2.8))
    for ax, field, title in zip(fig.subplots(1, 2), ("instruction", "output"), ("instruction", "response")):
        counts = [len(words(getattr(r, field))) for r in parsed]
        bins = range(0, max(counts) + 2, max(counts) // 25 + 1)
        ax.hist(counts, bins=bins, color="#bbb", label="parseable candidates")
        ax.hist([n for n, r in zip(counts, parsed) if r.verdict == "kept"], bins=bins, color="#2a7", label="kept")
        ax.set(title=f"{title} length", xlabel="words")
        ax.legend(frameon=False)
    return fig


@_chart
def similarity_chart(values: list[float], threshold: float | None) -> Figure | None:
    if not values:
        return None
    fig = Figure(figsize=(7, 2.8))
    ax = fig.subplots()
    ax.hist(values, bins=[i / 20 for i in range(21)], color="#47a")
    if threshold is not None:
        ax.axvline(threshold, color="#c33", linestyle="--", label=f"near-duplicate threshold {threshold:g}")
        ax.legend(frameon=False)
    ax.set(xlabel="ROUGE-L to the most similar earlier instruction", ylabel="candidates", xlim=(0, 1))
    return fig


@_chart
def verb_noun_chart(table: dict[str, Any]) -> Figure | None:
    """Two rings as in the Self-Instruct figure: verbs inside, each verb's objects outside."""
    if not table["rows"]:
        return None
    cmap, total = matplotlib.colormaps["tab20"], sum(n for _, n, _ in table["rows"])
    outer = [(noun, k, cmap((2 * i + 1) % 20)) for i, (_, n, objs) in enumerate(table["rows"])
             for noun, k in objs + [("", n - sum(k for _, k in objs))] if k]
    fig = Figure(figsize=(6.5, 6.5))
    ax = fig.subplots()
    for radius, ring, dist in ((1.0, outer, 0.83), (0.65, [(v, n, cmap(2 * i % 20)) for i, (v, n, _) in
                                                          enumerate(table["rows"])], 0.72)):
        ax.pie([k for _, k, _ in ring], radius=radius, colors=[c if lb else "#eee" for lb, _, c in ring],
               labels=[lb if k / total > 0.02 else "" for lb, k, _ in ring], labeldistance=dist,
               rotatelabels=radius == 1.0, textprops={"fontsize": 8, "va": "center", "ha": "center"},
               wedgeprops={"width": 0.35, "edgecolor": "white"}, startangle=90, counterclock=False)
    return fig


@_chart
def history_chart(points: list[dict[str, Any]], metric: str, run_id: str) -> Figure | None:
    usable = [p for p in points if p["value"] is not None]
    if not usable:
        return None
    fig = Figure(figsize=(9, 3))
    ax = fig.subplots()
    ax.plot([p["value"] for p in usable], marker="o", color="#47a")
    for x, p in enumerate(usable):
        if p["promoted"] or p["run_id"] == run_id:
            ax.plot(x, p["value"], marker="*" if p["promoted"] else "s", markersize=11,
                    color="#c93" if p["promoted"] else "#c33", linestyle="none")
    ax.set_xticks(range(len(usable)), [p["run_id"] for p in usable], rotation=45, ha="right", fontsize=7)
    ax.set(ylabel=metric, title=f"{metric} per evaluated run (star: promoted, square: this run)")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _eval_result(run: RunDir) -> dict[str, Any] | None:
    """`RUN/eval.json` (flows/evaluate.py) as written, or None if absent or unreadable."""
    path = run.file("eval.json")
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except json.JSONDecodeError:
        return None


def _history(data_root: Path, metric: str) -> tuple[list[dict[str, Any]], str | None]:
    try:
        history = gate.load(data_root)["history"][-HISTORY_RUNS:]
    except GerminateError as exc:
        return [], str(exc)
    return [{"run_id": h["run_id"], "value": h["scores"].get(metric), "promoted": h["promoted"],
             "time": h.get("time", "")} for h in history], None


def build_report(run: RunDir, data_root: Path) -> str:
    """The run's report as one HTML page; a missing ledger, eval or registry shows as n/a."""
    ledger = run.file("ledger.parquet")
    rows = read_ledger(ledger) if ledger.is_file() else []
    try:
        cfg = load_config(run.file("config.yaml"), model=PipelineConfig)
    except GerminateError:  # no or unreadable config: no threshold line, default metric
        cfg = None
    threshold = cfg.curate.near_duplicate.threshold if cfg else None
    metric = cfg.evaluate.primary_metric if cfg else "rouge_l"
    drops, stages = drop_counts(rows), funnel(rows)
    diversity = verb_noun_table([r.instruction for r in rows if r.verdict == "kept"])
    points, registry_error = _history(Path(data_root), metric)
    sims = [r.similarity for r in rows if not r.parse_error and r.similarity is not None]
    return template("reports/templates/report.html.jinja").render(
        run_id=run.run_id, status=run.status, has_ledger=ledger.is_file(),
        funnel=stages, funnel_svg=bar_chart(stages, "#2a7"), drops=drops,
        drops_svg=bar_chart(list(drops.items()), "#c55"),
        lengths_svg=lengths_chart(rows), threshold=threshold, n_sims=len(sims),
        similarity_svg=similarity_chart(sims, threshold),
        diversity=diversity, diversity_svg=verb_noun_chart(diversity),
        samples=samples(rows), similar_reasons=DEDUP,
        eval=_eval_result(run), metrics=METRICS, metric=metric, history=points, registry_error=registry_error,
        history_svg=history_chart(points, metric, run.run_id),
    )


def write_report(run: RunDir, data_root: Path) -> Path:
    """Render the report and write `RUN/report.html` atomically; returns its path."""
    path = run.file("report.html")
    atomic_write_text(path, build_report(run, data_root))
    return path
