"""Length-controlled win rate: what the judge's win rate would be if both answers were equally long.

LLM judges favour longer answers, so a model can raise its raw win rate by rambling.
AlpacaEval 2.0 (Dubois et al. 2024, "Length-Controlled AlpacaEval") fits a logistic model of
the judge's preference with the length difference as a covariate and reports the predicted
win rate at zero length difference. Ours is that idea reduced to one comparison:

    P(subject preferred on item i) = sigmoid(a + b * tanh(d_i / s))

where d_i = subject answer tokens - opponent answer tokens (the counts `evals.answers`
records), s = the standard deviation of d over the decided items (AlpacaEval's scaling; s = 0,
all differences equal, leaves only a), and the label is 1 for a win, 0 for a loss and 0.5 for
a tie (a fractional label in the Bernoulli likelihood). Split and undecided items are left
out, as in the raw win rate. `a` and `b` maximise the log-likelihood minus a ridge penalty
RIDGE/2 * (a^2 + b^2), which keeps the fit finite when every item is a win (perfect separation)
and shrinks little once there are dozens of items. The length-controlled win rate is
sigmoid(a). Its interval refits on every bootstrap draw of the items (the same draws as every
other interval), by Newton's method, vectorised over the draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evals.bootstrap import Resampler

RIDGE = 0.1
_ITERATIONS = 50


def _fit(counts: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Intercepts `a` of the penalised logistic fits, one per row of `counts` (item weights)."""
    a = np.zeros(counts.shape[0])
    b = np.zeros(counts.shape[0])
    for _ in range(_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-(a[:, None] + b[:, None] * x[None, :])))
        r = counts * (y[None, :] - p)
        w = counts * p * (1.0 - p)
        ga, gb = r.sum(1) - RIDGE * a, (r * x).sum(1) - RIDGE * b
        haa, hab, hbb = w.sum(1) + RIDGE, (w * x).sum(1), (w * x * x).sum(1) + RIDGE
        det = haa * hbb - hab * hab
        # Newton step on the concave objective (H is the negated Hessian, positive definite).
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a + np.clip(da, -5, 5), b + np.clip(db, -5, 5)
        if max(np.abs(da).max(), np.abs(db).max()) < 1e-10:
            break
    return a


def lc_win_rate(values: Sequence[float | None], length_diffs: Sequence[float],
                draws: Resampler | None = None) -> dict[str, float | None]:
    """{"lc_win_rate", "lc_ci_low", "lc_ci_high"} from per-item outcome values (1, 0.5, 0,
    None for split/undecided) and per-item token-count differences (subject - opponent)."""
    none = {"lc_win_rate": None, "lc_ci_low": None, "lc_ci_high": None}
    decided = np.array([v is not None for v in values])
    if not decided.any():
        return none
    y = np.array([v if v is not None else 0.0 for v in values], dtype=float)
    d = np.asarray(length_diffs, dtype=float)
    scale = float(np.std(d[decided]))
    x = np.tanh(d / scale) if scale > 0 else np.zeros_like(d)
    weights = decided.astype(float)
    point = float(1.0 / (1.0 + np.exp(-_fit(weights[None, :], x, y)[0])))
    result = {**none, "lc_win_rate": point}
    if draws is not None:
        n = len(values)
        counts = np.zeros((draws.indices.shape[0], n))
        np.add.at(counts, (np.arange(draws.indices.shape[0])[:, None], draws.indices), 1.0)
        counts *= weights[None, :]
        fitted = 1.0 / (1.0 + np.exp(-_fit(counts, x, y)))
        fitted[counts.sum(1) == 0] = np.nan  # a draw without a decided item has no value
        result["lc_ci_low"], result["lc_ci_high"] = draws.interval(fitted)
    return result
