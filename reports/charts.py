"""The report's charts: matplotlib figures rendered to inline SVG (no JavaScript, no side files).

SVG text stays `<text>`, so the browser draws Korean with its own fonts.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure

from core.records import LedgerRow
from core.text import words

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


@_chart
def quality_chart(panels: list[dict[str, Any]]) -> Figure | None:
    """One small histogram per quality rule: the rule's value for every scored candidate and
    for the kept ones, with the threshold in effect as a dashed line."""
    panels = [p for p in panels if p["values"]]
    if not panels:
        return None
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig = Figure(figsize=(10, 2.5 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, p in zip(axes, panels):
        lo, hi = min(p["values"] + [p["threshold"]]), max(p["values"] + [p["threshold"]])
        bins = [lo + (hi - lo) * i / 24 for i in range(25)] if hi > lo else 10
        ax.hist(p["values"], bins=bins, color="#bbb", label="scored")
        ax.hist(p["kept"], bins=bins, color="#2a7", label="kept")
        ax.axvline(p["threshold"], color="#c33", linestyle="--",
                   label=f"{'max' if p['upper'] else 'min'} {p['threshold']:g}" + ("" if p["enabled"] else " (off)"))
        ax.set_title(p["title"], fontsize=8)
        ax.legend(frameon=False, fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
