"""The quality signals as data: which scores each computes and when they drop a row, and why.

A signal is a config section (`curate.quality.<name>`) and one or more rules. A rule reads
some score keys of a row (the worst of them decides), compares them with one threshold of its
section and, past it, names a reason. Scores are computed once and stored in the ledger; the
rules are pure functions of (scores, config), so `refilter` re-decides without any model.

`SIGNALS` is the one ordered list; `QUALITY_REASONS` and the report's charts derive from it,
and a test keeps it in step with `core.config.quality.QualityConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.config.quality import QualityConfig

FIELDS = ("instruction", "input", "output")


@dataclass(frozen=True)
class Rule:
    """Drop with `reason` when the worst of `keys` is past `threshold` (a field of the signal's
    config section): above it when `upper`, below it otherwise."""

    reason: str
    threshold: str
    keys: tuple[str, ...]
    upper: bool

    def worst(self, scores: Mapping[str, float]) -> float | None:
        """The row's value for this rule: the worst of its keys present in `scores`."""
        values = [scores[k] for k in self.keys if k in scores]
        if not values:
            return None
        return max(values) if self.upper else min(values)

    def fires(self, scores: Mapping[str, float], limit: float) -> bool:
        value = self.worst(scores)
        if value is None:
            return False
        return value > limit if self.upper else value < limit


@dataclass(frozen=True)
class Signal:
    """`name` is the config section and the prefix of its score keys; `model` says the scores
    come from a model (reference LM or rater), so they cannot be recomputed for free."""

    name: str
    rules: tuple[Rule, ...]
    model: bool
    description: str


def _per_field(prefix: str, fields: tuple[str, ...] = FIELDS) -> tuple[str, ...]:
    return tuple(f"{prefix}.{f}" for f in fields)


SIGNALS: tuple[Signal, ...] = (
    Signal("degenerate", (
        Rule("degenerate_text", "max_repetition", _per_field("degenerate.repetition"), upper=True),
        Rule("degenerate_text", "min_instruction_letters", ("degenerate.letters.instruction",), upper=False),
    ), model=False, description="Gopher repetition (x its limit) and the instruction's letter share"),
    Signal("korean", (
        Rule("not_korean", "min_score_per_syllable", _per_field("korean.score"), upper=False),
        Rule("not_korean", "max_unknown_share", _per_field("korean.unknown"), upper=True),
    ), model=False, description="kiwipiepy score per Hangul syllable and share in unknown words"),
    Signal("fluency", (
        Rule("disfluent_instruction", "max_instruction_nll", ("fluency.instruction_nll",), upper=True),
        Rule("disfluent_output", "max_output_nll", ("fluency.output_nll",), upper=True),
    ), model=True, description="mean token NLL under the reference LM (output given its task)"),
    Signal("ifd", (
        Rule("output_unrelated", "max_ifd", ("ifd.ratio",), upper=True),
    ), model=True, description="NLL(output | instruction, input) / NLL(output | input)"),
    Signal("classifier", (
        Rule("classified_low_quality", "min_prob", ("classifier.prob_good",), upper=False),
    ), model=True, description="P(good) of a linear probe on the reference LM's hidden states"),
    Signal("language", (
        Rule("language_mismatch", "min_share", ("language.share",), upper=False),
    ), model=False, description="share of the output's letters in a language the task calls for"),
    Signal("rating", (
        Rule("low_rating", "min_rating", ("rating.score",), upper=False),
    ), model=True, description="LLM rating 1-5 (AlpaGasus rubric)"),
)

BY_NAME: dict[str, Signal] = {s.name: s for s in SIGNALS}

# Every reason a quality rule can give, in SIGNALS order.
QUALITY_REASONS: tuple[str, ...] = tuple(dict.fromkeys(r.reason for s in SIGNALS for r in s.rules))


def rules_for(reason: str) -> list[Rule]:
    """The rules that give `reason` (for showing a dropped row's deciding scores)."""
    return [r for s in SIGNALS for r in s.rules if r.reason == reason]


def quality_reasons(scores: Mapping[str, float], cfg: QualityConfig) -> list[str]:
    """The reasons the enabled signals give for a row with these scores, in SIGNALS order."""
    found: list[str] = []
    for signal in SIGNALS:
        section = getattr(cfg, signal.name)
        if not section.enabled:
            continue
        for rule in signal.rules:
            if rule.reason not in found and rule.fires(scores, getattr(section, rule.threshold)):
                found.append(rule.reason)
    return found


def thresholds(cfg: QualityConfig) -> dict[str, dict[str, float | bool]]:
    """What is in effect, per signal: enabled and each rule's threshold (card, status, ledger)."""
    out: dict[str, dict[str, float | bool]] = {}
    for signal in SIGNALS:
        section = getattr(cfg, signal.name)
        out[signal.name] = {"enabled": section.enabled,
                            **{r.threshold: getattr(section, r.threshold) for r in signal.rules}}
    return out
