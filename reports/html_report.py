"""`RUN/report.html`: one self-contained page with the run's funnel, drops, lengths, similarity,
diversity, samples, eval scores and the registry's history. Counting is pure functions over ledger rows.

Charts are matplotlib figures inlined as SVG, so the page needs no JavaScript, network or side files
and can be mailed, archived or opened from a CI artifact (plotly would embed ~3.5 MB of JavaScript per
page; altair loads vega from a CDN unless vendored). SVG text stays `<text>` so the browser draws Korean
with its own fonts. Teacher text is untrusted: the template autoescapes; only our SVG is marked safe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.config import PipelineConfig, load_config
from core.errors import GerminateError
from core.overrides import OVERRIDE_DROP
from core.records import LedgerRow
from core.store import RunDir, atomic_write_text
from core.templating import template
from core.verb_object import verb_noun_table
from evals import gate
from filters import drop_counts
from filters.curate import EXACT_DUPLICATE, NEAR_DUPLICATE
from filters.decontaminate import REASON as EVAL_OVERLAP
from filters.quality import QUALITY_REASONS, SIGNALS
from reports import eval_view
from reports.charts import bar_chart, history_chart, lengths_chart, quality_chart, similarity_chart, verb_noun_chart
from reports.console import deciding_scores
from reports.novelty import nights, novelty_table
from reports.outputs import read_ledger

DEDUP = {EXACT_DUPLICATE, NEAR_DUPLICATE}
# Every other reason comes from a per-example check; a person's drop (the review page) comes last.
SET_LEVEL = DEDUP | {EVAL_OVERLAP, OVERRIDE_DROP}
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


def quality_panels(rows: list[LedgerRow], cfg: PipelineConfig | None) -> list[dict[str, Any]]:
    """Per quality rule: its value for each scored row (the worst of the rule's keys) and for the
    kept rows, the threshold in effect and the reason it gives (for the report's histograms)."""
    panels = []
    for signal in SIGNALS:
        section = getattr(cfg.curate.quality, signal.name) if cfg else None
        for rule in signal.rules:
            scored = [(v, r.verdict == "kept") for r in rows if (v := rule.worst(r.scores)) is not None]
            if not scored or section is None:
                continue
            panels.append({"title": f"{rule.reason}: {rule.threshold}", "reason": rule.reason,
                           "values": [v for v, _ in scored], "kept": [v for v, k in scored if k],
                           "threshold": getattr(section, rule.threshold), "upper": rule.upper,
                           "enabled": section.enabled, "keys": rule.keys})
    return panels


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
    panels = quality_panels(rows, cfg)
    novelty = run.status.get("stages", {}).get("curate", {}).get("novelty")
    ev = _eval_result(run)
    return template("reports/templates/report.html.jinja").render(
        run_id=run.run_id, status=run.status, has_ledger=ledger.is_file(),
        funnel=stages, funnel_svg=bar_chart(stages, "#2a7"), drops=drops,
        drops_svg=bar_chart(list(drops.items()), "#c55"),
        lengths_svg=lengths_chart(rows), threshold=threshold, n_sims=len(sims),
        similarity_svg=similarity_chart(sims, threshold),
        quality=panels, quality_svg=quality_chart(panels),
        diversity=diversity, diversity_svg=verb_noun_chart(diversity),
        novelty=novelty, nights=novelty_table(nights(Path(data_root), HISTORY_RUNS)),
        samples=samples(rows), similar_reasons=DEDUP, quality_reasons=QUALITY_REASONS, deciding_scores=deciding_scores,
        eval=ev, eval_title=eval_view.title(ev) if ev else "", eval_rows=eval_view.metric_rows(ev) if ev else [],
        eval_models=eval_view.models(ev) if ev else [], eval_opponents=eval_view.opponents(ev) if ev else [],
        eval_judge=eval_view.judge_lines(ev) if ev else [], eval_notes=eval_view.notes(ev) if ev else [],
        metric=metric, history=points, registry_error=registry_error,
        history_svg=history_chart(points, metric, run.run_id),
    )


def write_report(run: RunDir, data_root: Path) -> Path:
    """Render the report and write `RUN/report.html` atomically; returns its path."""
    path = run.file("report.html")
    atomic_write_text(path, build_report(run, data_root))
    return path
