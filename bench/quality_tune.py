"""Threshold sweeps for bench/quality.py --tune, on DEV rows only.

For each rule's threshold, with every other signal at its current value, the sweep prints
what each candidate value keeps and drops on dev, and suggests one by a fixed rule:

  the value with the highest F0.5 of "kept = good" (precision weighted: kept rows must be ones
  a person would train on) among values that keep >= 97% of the human-written rows of EACH
  language; ties go to the more lenient value (it generalises to text we have not seen).

The 97% leaves room under the acceptance bar (90% per language) for rows unlike ours.
"""

from __future__ import annotations

from labeled import Labeled, verdicts

from core.config import CurateConfig, QualityConfig
from filters.quality import SIGNALS

HUMAN_FLOOR = 0.97


def _fbeta(p: float, r: float, beta: float = 0.5) -> float:
    return (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def _candidates(values: list[float], upper: bool) -> list[float]:
    """Thresholds to try: the observed values' quantiles, rounded."""
    if not values:
        return []
    values = sorted(values)
    picks = {round(values[min(len(values) - 1, int(q * (len(values) - 1)))], 2) for q in
             [i / 40 for i in range(41)]}
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
    print(f"dev rows: {len(rows)}")
    for signal in SIGNALS:
        for rule in signal.rules:
            values = [v for f in facts if (v := rule.worst(f.scores)) is not None]
            if not values:
                continue
            print(f"\n{signal.name}.{rule.threshold} ({rule.reason}; drop when {'>' if rule.upper else '<'}): "
                  f"current {getattr(getattr(q, signal.name), rule.threshold)}")
            print("  value   P     R     F0.5  human en  human ko  garbage dropped")
            best = None
            for value in _candidates(values, rule.upper):
                section = getattr(q, signal.name).model_copy(update={rule.threshold: value, "enabled": True})
                cfg = CurateConfig(quality=q.model_copy(update={signal.name: section}))
                m = evaluate(rows, facts, cfg)
                ok = min(m["human"].values()) >= HUMAN_FLOOR
                print(f"  {value:>6g} {m['p']:.3f} {m['r']:.3f} {m['f']:.3f}  {m['human']['en']:.3f}     "
                      f"{m['human']['ko']:.3f}     {m['garbage']:.3f}{'' if ok else '  (human floor)'}")
                if ok and (best is None or m["f"] > best[1] + 1e-9):
                    best = (value, m["f"])
            print(f"  suggested: {best[0] if best else 'none passes the human floor'}")
