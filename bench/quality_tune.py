"""Threshold sweeps for bench/quality.py --tune, on DEV rows only.

For each rule's threshold, with only its own signal enabled on top of today's heuristics (so
one strict signal does not mask the others), the sweep prints what each candidate value keeps
and drops on dev, and suggests one by a fixed rule:

  the value with the highest F0.5 of "kept = good" (precision weighted: kept rows must be ones
  a person would train on) among values that drop at most 3 points more of the human-written
  rows of EACH language than the heuristics alone do; any value within 0.01 of the best F0.5
  counts as a tie, and ties go to the most lenient value (one labeled row more or less must
  not move a threshold; a lenient one generalises to text we have not seen).

The 3-point budget per signal leaves room under the acceptance bar (90% per language) for
several signals together and for rows unlike ours.
"""

from __future__ import annotations

from labeled import Labeled, verdicts

from core.config import CurateConfig, QualityConfig
from filters.quality import SIGNALS

HUMAN_BUDGET = 0.03
TIE = 0.01


def _fbeta(p: float, r: float, beta: float = 0.5) -> float:
    return (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def _candidates(values: list[float], upper: bool) -> list[float]:
    """Thresholds to try: the observed values' quantiles, rounded."""
    if not values:
        return []
    values = sorted(values)
    picks = {round(values[min(len(values) - 1, int(q * (len(values) - 1)))], 2) for q in
             [i / 20 for i in range(21)]}
    return sorted(picks, reverse=upper)  # lenient first: a tie keeps the lenient value


def evaluate(rows: list[Labeled], facts, cfg: CurateConfig) -> dict:
    kept = [not r for r in verdicts(rows, facts, cfg)]
    good_kept = sum(k and r.good for r, k in zip(rows, kept))
    p = good_kept / sum(kept) if sum(kept) else 0.0
    rec = good_kept / max(1, sum(r.good for r in rows))
    human = {lang: [k for r, k in zip(rows, kept) if r.human and r.lang == lang] for lang in ("en", "ko")}
    garbage = [not k for r, k in zip(rows, kept) if not r.human and not r.good]
    return {"p": p, "r": rec, "f": _fbeta(p, rec),
            "human": {lang: sum(v) / len(v) if v else 1.0 for lang, v in human.items()},
            "garbage": sum(garbage) / len(garbage) if garbage else 1.0}


def sweep(rows: list[Labeled], facts, q: QualityConfig) -> None:
    dev = [i for i, r in enumerate(rows) if r.split == "dev"]
    rows, facts = [rows[i] for i in dev], [facts[i] for i in dev]
    off = {s.name: getattr(q, s.name).model_copy(update={"enabled": False}) for s in SIGNALS}
    floor = {lang: v - HUMAN_BUDGET for lang, v in evaluate(rows, facts, CurateConfig(quality=q.model_copy(update=off)))["human"].items()}
    print(f"dev rows: {len(rows)}; human keep floor per language (heuristics alone minus {HUMAN_BUDGET:.0%}): {floor}")
    for signal in SIGNALS:
        for rule in signal.rules:
            values = [v for f in facts if (v := rule.worst(f.scores)) is not None]
            if not values:
                continue
            print(f"\n{signal.name}.{rule.threshold} ({rule.reason}; drop when {'>' if rule.upper else '<'}): "
                  f"current {getattr(getattr(q, signal.name), rule.threshold)}")
            print("  value   P     R     F0.5  human en  human ko  garbage dropped")
            scored: list[tuple[float, float]] = []
            for value in _candidates(values, rule.upper):
                section = getattr(q, signal.name).model_copy(update={rule.threshold: value, "enabled": True})
                cfg = CurateConfig(quality=q.model_copy(update={**off, signal.name: section}))
                m = evaluate(rows, facts, cfg)
                ok = all(m["human"][lang] >= floor[lang] - 1e-9 for lang in floor)
                print(f"  {value:>6g} {m['p']:.3f} {m['r']:.3f} {m['f']:.3f}  {m['human']['en']:.3f}     "
                      f"{m['human']['ko']:.3f}     {m['garbage']:.3f}{'' if ok else '  (human floor)'}")
                if ok:
                    scored.append((value, m["f"]))
            # Candidates run lenient to strict: the first within TIE of the best is the most lenient.
            top = max((f for _, f in scored), default=None)
            best = next((v for v, f in scored if f >= top - TIE), None) if top is not None else None
            print(f"  suggested: {best if best is not None else 'none passes the human floor'}")
