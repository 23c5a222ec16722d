"""The evaluation as a person reads it: rows of metrics with intervals and deltas, the judge's
counts, the decision. Pure functions over eval.json (`flows/evaluate.py`), shared by the console
table, report.html and the `germinate-eval` artifact, so the three always say the same thing.
An eval.json written before intervals existed shows its numbers without them.
"""

from __future__ import annotations

from typing import Any

from evals.judge import OUTCOMES
from evals.metrics import METRICS, label

MODELS = ("base", "champion", "candidate")


def _f(x: Any, signed: bool = False) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def with_ci(value: Any, low: Any, high: Any, signed: bool = False) -> str:
    """"0.224 (0.198..0.251)"; the value alone when there is no interval."""
    if value is None or low is None or high is None:
        return _f(value, signed)
    return f"{_f(value, signed)} ({_f(low, signed)}..{_f(high, signed)})"


def models(result: dict) -> list[str]:
    """The models evaluated, in table order."""
    return [m for m in MODELS if m in result.get("scores", {})]


def opponents(result: dict) -> list[str]:
    """The models the subject was compared with."""
    return list(result.get("comparisons", {}))


def metric_rows(result: dict) -> list[dict[str, Any]]:
    """One row per metric: its label, each model's value with its interval, and the subject's
    delta (improvement: positive is better) vs each opponent with its paired interval."""
    scores, intervals, comparisons = result.get("scores", {}), result.get("intervals", {}), result.get("comparisons", {})
    names = models(result)
    rows = []
    for key, metric in METRICS.items():
        if not any(key in scores[n] for n in names):
            continue
        row: dict[str, Any] = {"metric": key, "label": metric.label + ("" if metric.higher_is_better is not False
                                                                         else " (lower is better)")}
        for n in names:
            low, high = (intervals.get(n, {}).get(key) or [None, None])
            row[n] = {"value": scores[n].get(key), "ci_low": low, "ci_high": high,
                      "text": with_ci(scores[n].get(key), low, high)}
        for opp, by_metric in comparisons.items():
            d = by_metric.get(key)
            row[f"vs_{opp}"] = {**d, "text": with_ci(d["delta"], d["ci_low"], d["ci_high"], signed=True)} if d else \
                {"delta": None, "ci_low": None, "ci_high": None, "text": "n/a" if metric.higher_is_better is not None else ""}
        rows.append(row)
    return rows


def judge_lines(result: dict) -> list[str]:
    """One line per judged comparison (counts, win rate, length-controlled win rate), or the
    line saying why the judge did not run."""
    judge = result.get("judge")
    if not isinstance(judge, dict) or "enabled" not in judge:
        return []
    if not judge["enabled"]:
        return ["judge: off (evaluate.judge is not configured: set evaluate.judge.model, or "
                "evaluate.judge.enabled=true to let the teacher judge); no decided/split/undecided counts"]
    lines = []
    for opp in opponents(result):
        v = judge.get(opp)
        if not isinstance(v, dict):
            continue
        counts = ", ".join(f"{v['counts'][o]} {o}" for o in OUTCOMES)
        pct = f"{result.get('confidence', 0.95) * 100:g}%"
        if v.get("win_rate") is None:
            rate = "win rate n/a: no pair was decided"
        else:
            rate = (f"win rate {with_ci(v['win_rate'], v['ci_low'], v['ci_high'])} over {v['decided']} decided "
                    f"({pct} CI), length-controlled {with_ci(v['lc_win_rate'], v['lc_ci_low'], v['lc_ci_high'])}")
        lines.append(f"judge {judge.get('model')} vs {opp}: {v['n']} pairs: {v['decided']} decided "
                     f"({counts}); {rate}")
    if not lines:
        lines.append(f"judge {judge.get('model')}: nothing to compare (one model only)")
    return lines


def notes(result: dict) -> list[str]:
    """Lines a person must see: a champion that could not be loaded, where answers came from."""
    out = []
    if result.get("champion_missing"):
        out.append(f"{result['champion_missing']}: compared with the base only")
    if result.get("note"):  # eval.json of older versions
        out.append(result["note"])
    cached = [n for n, m in result.get("models", {}).items() if m.get("answers") == "hit"]
    if cached:
        out.append(f"answers reused from the answer cache: {', '.join(cached)}")
    return out


def artifact_rows(result: dict) -> list[dict[str, Any]]:
    """Flat rows for the `germinate-eval` table artifact: each model's value and interval,
    each delta and its interval, and the decision's reason as the last row."""
    table = []
    for row in metric_rows(result):
        flat = {"metric": row["metric"]}
        for n in models(result):
            flat[n] = row[n]["text"]
        for opp in opponents(result):
            flat[f"delta_vs_{opp}"] = row[f"vs_{opp}"]["text"]
        table.append(flat)
    for line in judge_lines(result) + notes(result):
        table.append({"metric": "note", "base": line})
    decision = result.get("decision")
    if decision:
        table.append({"metric": "decision", "base": ("PROMOTED: " if decision["promote"] else "not promoted: ")
                      + decision.get("reason", "")})
    # One set of columns for every row (a table artifact is rendered from the first row's keys).
    columns = list(dict.fromkeys(k for row in table for k in row))
    return [{k: row.get(k, "") for k in columns} for row in table]


def title(result: dict) -> str:
    """The table's title: items, eval set, primary metric and confidence."""
    pct = f"{result.get('confidence', 0.95) * 100:g}%"
    return (f"held-out eval: {result.get('items', 'n/a')} items from {result.get('eval_set', 'n/a')}; "
            f"primary {label(result.get('primary_metric', 'rouge_l'))}, margin {result.get('margin', 0):g}, {pct} CIs")
