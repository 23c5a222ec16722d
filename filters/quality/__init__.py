"""Quality signals: scores for every candidate, and named reasons past configured thresholds.

Heuristics catch format; quality needs statistics and models. The statistical signals
(degenerate text, Hangul that is not Korean, language agreement) are cheap and computed for
every parseable candidate in curation's per-row shards; the model signals (fluency, IFD and
the quality classifier under a reference LM, the optional LLM rating) are computed once per
curation by the flow.
Everything lands in the ledger's `scores`; `quality_reasons` turns scores into reasons.
"""

from __future__ import annotations

from core.records import Candidate
from filters.quality.degenerate import degenerate_scores
from filters.quality.korean import korean_scores
from filters.quality.language import language_scores
from filters.quality.signals import BY_NAME, QUALITY_REASONS, SIGNALS, Rule, Signal, quality_reasons, rules_for, thresholds


def statistical_scores(c: Candidate) -> dict[str, float]:
    """Every model-free score of one candidate ({} when unparseable). Computed whether or not
    their signals are enabled, so enabling one later in `refilter` needs no recomputation."""
    if c.parse_error:
        return {}
    return {**degenerate_scores(c.instruction, c.input, c.output),
            **korean_scores(c.instruction, c.input, c.output),
            **language_scores(c.instruction, c.input, c.output)}


__all__ = ["BY_NAME", "QUALITY_REASONS", "SIGNALS", "Rule", "Signal", "quality_reasons", "rules_for",
           "statistical_scores", "thresholds"]
