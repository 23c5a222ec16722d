"""The promotion gate: does a newly tuned adapter replace the champion?

The candidate faces every opponent it is compared with: always the base model (the student
without an adapter), and the champion when there is one that can be loaded. It is promoted
only when, against EVERY opponent,

- the lower bound of the bootstrap confidence interval of its primary-metric improvement is
  above `margin` (strictly, and a bound equal to the margin up to float rounding does not count:
  a tie at the margin is no evidence, and keeping the champion then avoids swapping adapters
  back and forth on noise); the interval is the paired bootstrap over eval items
  (`evals.bootstrap`), so one decisive item cannot promote on its own;
- and no secondary metric regresses: its improvement (point estimate) is not below
  -tolerance. The point estimate, not the interval: a regression does not need to be proven
  to block a release, only an improvement needs to be proven to make one.

For the judge's win rate, the "improvement" is win rate - 0.5 (an even split of decided
pairs). There is no "no champion yet, promote": the first candidate must beat the base.
The decision's `reason` is one sentence for a person; `checks` holds every number behind it.
The registry that remembers the champion lives in `evals.registry`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.errors import GerminateError
from evals.metrics import METRICS, label
from evals.registry import load, record, registry_path

__all__ = ["decide", "load", "record", "registry_path"]

Delta = Mapping[str, float | None]  # {"delta", "ci_low", "ci_high"}


def _num(x: float) -> str:
    """+0.031; a nonzero value that rounds to zero keeps two significant digits (+0.00042)."""
    return f"{x:+.3f}" if x == 0 or abs(x) >= 0.0005 else f"{x:+.2g}"


def _above(value: float, bound: float) -> bool:
    return value > bound and not math.isclose(value, bound, rel_tol=1e-9, abs_tol=1e-12)


def _direction(metric: str) -> str:
    higher = METRICS[metric].higher_is_better if metric in METRICS else True
    return "" if higher else " (an improvement: lower is better)"


def _primary_check(opponent: str, metric: str, d: Delta | None, margin: float, pct: str) -> dict[str, Any]:
    check = {"opponent": opponent, "metric": metric, "role": "primary", "threshold": margin,
             "delta": None, "ci_low": None, "ci_high": None, "passed": False}
    if not d or d.get("delta") is None or d.get("ci_low") is None:
        return {**check, "text": f"has no {label(metric)} to compare with {opponent}"}
    check.update(delta=d["delta"], ci_low=d["ci_low"], ci_high=d["ci_high"])
    ci = f"{pct} CI {_num(d['ci_low'])}..{_num(d['ci_high'])}"
    if _above(d["ci_low"], margin):
        text = f"beats {opponent} by {_num(d['delta'])} {label(metric)}{_direction(metric)} ({ci} > margin {margin:g})"
        return {**check, "passed": True, "text": text}
    text = (f"does not clear {opponent}: {_num(d['delta'])} {label(metric)}{_direction(metric)} "
            f"({ci}; the lower bound must exceed margin {margin:g})")
    return {**check, "text": text}


def _secondary_check(opponent: str, metric: str, d: Delta | None, tolerance: float) -> dict[str, Any]:
    check = {"opponent": opponent, "metric": metric, "role": "secondary", "threshold": -tolerance,
             "delta": None, "ci_low": None, "ci_high": None, "passed": True}
    if not d or d.get("delta") is None:
        return {**check, "text": f"{label(metric)} vs {opponent} n/a"}
    check.update(delta=d["delta"], ci_low=d.get("ci_low"), ci_high=d.get("ci_high"))
    regressed = d["delta"] < -tolerance and not math.isclose(d["delta"], -tolerance, rel_tol=1e-9, abs_tol=1e-12)
    verb = "regresses beyond" if regressed else "within"
    return {**check, "passed": not regressed,
            "text": f"{label(metric)} {_num(d['delta'])} vs {opponent} {verb} tolerance {tolerance:g}"}


def decide(
    comparisons: Mapping[str, Mapping[str, Delta]],
    primary: str,
    margin: float,
    tolerances: Mapping[str, float] | None = None,
    confidence: float = 0.95,
    champion_missing: str | None = None,
) -> dict[str, Any]:
    """Whether the candidate should be promoted, from its comparisons with each opponent.

    `comparisons` maps an opponent's name as a person reads it ("base", "champion RUN") to
    {metric: {"delta", "ci_low", "ci_high"}}, delta being the candidate's improvement.
    `tolerances` maps each secondary metric to the largest regression it may show (the
    primary metric is never its own secondary). `champion_missing` says why a recorded
    champion could not be compared; the reason then starts with it.

    Returns {"promote", "reason", "metric", "margin", "confidence", "opponents", "checks"}.
    """
    if margin < 0 or math.isnan(margin):
        raise GerminateError(f"promotion margin must be >= 0, got {margin}")
    if not comparisons:
        raise GerminateError("the gate needs at least one opponent (the base model)")
    pct = f"{confidence * 100:g}%"
    checks = [_primary_check(opp, primary, by_metric.get(primary), margin, pct)
              for opp, by_metric in comparisons.items()]
    for metric, tolerance in (tolerances or {}).items():
        if metric != primary:
            checks += [_secondary_check(opp, metric, by_metric.get(metric), tolerance)
                       for opp, by_metric in comparisons.items()]
    promote = all(c["passed"] for c in checks)
    primaries = [c for c in checks if c["role"] == "primary"]
    secondaries = [c for c in checks if c["role"] == "secondary"]
    failed = [c for c in secondaries if not c["passed"]]
    if all(c["passed"] for c in primaries):
        sentence = "candidate " + " and ".join(c["text"] for c in primaries)
    else:
        sentence = "candidate " + "; ".join(c["text"] for c in primaries if not c["passed"])
        if any(c["passed"] for c in primaries):
            sentence += " (it " + " and ".join(c["text"] for c in primaries if c["passed"]) + ")"
    if failed:
        sentence += "; " + "; ".join(c["text"] for c in failed)
    elif secondaries:
        sentence += "; " + ", ".join(c["text"] for c in secondaries)
    if champion_missing:
        sentence = f"{champion_missing}: compared with the base only; {sentence}"
    return {"promote": promote, "reason": sentence, "metric": primary, "margin": margin,
            "confidence": confidence, "opponents": list(comparisons), "checks": checks}
