"""Bootstrap confidence intervals over eval items, for one model's score and for the paired
difference between two models that answered the same items.

Every metric here is a ratio of per-item sums, `sum(num) / sum(den)`: ROUGE-L has num = the
item's score and den = 1, instruction-level constraint accuracy has num = constraints passed and
den = constraints carried (0 for an item without any, which then does not count), held-out
loss has num = the item's summed token NLL and den = its token count. So the point estimate is
exactly the reported metric, and one resampling rule serves them all.

The percentile bootstrap (Efron & Tibshirani 1993, ch. 13): draw the items with replacement
`n_boot` times with a seeded numpy RNG, recompute the statistic on each draw, take the
(1 - confidence)/2 and (1 + confidence)/2 percentiles. A *paired* bootstrap (Koehn 2004,
"Statistical Significance Tests for Machine Translation Evaluation") applies the same draw to
both models, so item difficulty, shared by both, cancels out of the difference: far tighter
than two independent intervals. Draws in which no item has a weight (e.g. none of the drawn
items carries a constraint) have no value and are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import GerminateError


@dataclass(frozen=True)
class Resampler:
    """The bootstrap draws for `n` items: row b of `indices` is draw b. One Resampler is shared
    by every metric and model of an evaluation, so all intervals come from the same draws."""

    indices: np.ndarray
    confidence: float

    @classmethod
    def create(cls, n: int, n_boot: int = 2000, seed: int = 0, confidence: float = 0.95) -> "Resampler":
        """`n_boot` draws of `n` item indices from `np.random.default_rng(seed)`."""
        if n_boot < 1:
            raise GerminateError(f"n_boot must be at least 1, got {n_boot}")
        if not 0.0 < confidence < 1.0:
            raise GerminateError(f"confidence must be between 0 and 1, got {confidence}")
        rng = np.random.default_rng(seed)
        return cls(rng.integers(0, max(n, 1), size=(n_boot, n)), confidence)

    def interval(self, draws: np.ndarray) -> tuple[float | None, float | None]:
        """The percentile interval of the statistic's values over the draws (NaN ones skipped)."""
        kept = draws[~np.isnan(draws)]
        if kept.size == 0:
            return None, None
        tail = (1.0 - self.confidence) / 2 * 100
        low, high = np.percentile(kept, [tail, 100 - tail])
        return float(low), float(high)


def ratio(num: Sequence[float], den: Sequence[float]) -> float | None:
    """sum(num) / sum(den), or None when no item has a weight (the metric does not apply)."""
    total = float(np.sum(den))
    return float(np.sum(num)) / total if total > 0 else None


def _ratio_draws(num: np.ndarray, den: np.ndarray, indices: np.ndarray) -> np.ndarray:
    totals = den[indices].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, num[indices].sum(axis=1) / totals, np.nan)


def _arrays(num: Sequence[float], den: Sequence[float], n: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if a.shape != (n,) or b.shape != (n,):
        raise GerminateError(f"bootstrap: expected {n} per-item values, got {a.shape[0]} and {b.shape[0]}")
    return a, b


def score_ci(num: Sequence[float], den: Sequence[float], draws: Resampler) -> dict[str, float | None]:
    """{"value", "ci_low", "ci_high"} of one model's metric."""
    a, b = _arrays(num, den, draws.indices.shape[1])
    low, high = draws.interval(_ratio_draws(a, b, draws.indices)) if ratio(a, b) is not None else (None, None)
    return {"value": ratio(a, b), "ci_low": low, "ci_high": high}


def paired_delta_ci(subject: tuple[Sequence[float], Sequence[float]],
                    opponent: tuple[Sequence[float], Sequence[float]],
                    draws: Resampler, higher_is_better: bool = True) -> dict[str, float | None]:
    """{"delta", "ci_low", "ci_high"} of the improvement of `subject` over `opponent`, each
    given as (num, den) per item: subject - opponent for a higher-is-better metric, opponent -
    subject otherwise, so a positive delta always means "subject is better". None when either
    side has no value."""
    n = draws.indices.shape[1]
    (sn, sd), (on, od) = _arrays(*subject, n), _arrays(*opponent, n)
    mine, theirs = ratio(sn, sd), ratio(on, od)
    if mine is None or theirs is None:
        return {"delta": None, "ci_low": None, "ci_high": None}
    sign = 1.0 if higher_is_better else -1.0
    diffs = sign * (_ratio_draws(sn, sd, draws.indices) - _ratio_draws(on, od, draws.indices))
    low, high = draws.interval(diffs)
    return {"delta": sign * (mine - theirs), "ci_low": low, "ci_high": high}
