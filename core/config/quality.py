"""`curate.quality`: the quality signals' thresholds, the reference LM and the optional rating.

One section per signal of `filters.quality.SIGNALS` (a test keeps the two in step); each has
`enabled` and its thresholds. Scores are stored in the ledger whatever the thresholds, so
`germinate refilter RUN --set curate.quality.<signal>.<threshold>=...` re-decides without a
model. The defaults were chosen on the dev half of the labeled set (tests/data/quality/, see
bench/quality.py); the numbers below say what they mean, the README says how they were chosen.
"""

from __future__ import annotations

from pydantic import Field

from core.config.base import Strict
from core.config.generate import TeacherConfig
from core.config.tune import EMBEDDED_STUDENT


class DegenerateSignal(Strict):
    """Degenerate text in any script (Gopher's repetition rules, as datatrove implements them)."""

    enabled: bool = True
    # The worst Gopher repetition rule (Rae et al. 2021, table A1) as a multiple of that rule's
    # own limit: 1.0 is Gopher's threshold, 2.0 allows twice as much repetition.
    max_repetition: float = Field(1.0, gt=0.0)
    # Share of letters among the instruction's non-space characters: an instruction is words,
    # not a timestamp or a digit string.
    min_instruction_letters: float = Field(0.5, ge=0.0, le=1.0)


class KoreanSignal(Strict):
    """Hangul that is not Korean words, scored by kiwipiepy's morpheme language model."""

    enabled: bool = True
    # Mean kiwipiepy log-score per Hangul syllable of a field; broken Hangul scores far lower.
    min_score_per_syllable: float = Field(-5.5, le=0.0)
    # Share of Hangul syllables in words kiwipiepy does not know.
    max_unknown_share: float = Field(0.5, ge=0.0, le=1.0)


class FluencySignal(Strict):
    """Mean token negative log-likelihood under the reference LM (nats per token)."""

    enabled: bool = True
    max_instruction_nll: float = Field(6.0, gt=0.0)
    # The output is scored given its instruction and input, so a short correct label is fluent.
    max_output_nll: float = Field(6.0, gt=0.0)


class IfdSignal(Strict):
    """Instruction-following difficulty (Li et al. 2023): NLL(output | instruction, input) /
    NLL(output | input). Near or above 1, the instruction does not help predict the answer.

    Off by default since the classifier: beside it, on the dev half (out-of-fold), IFD cost 6% of
    the English human rows (short correct answers, "27", score as unrelated) for 3% more garbage
    dropped (bench/quality_probe.py --ablate). Its scores are still computed and stored when
    enabled; a night with a teacher whose failure is pasted labels may want it."""

    enabled: bool = False
    max_ifd: float = Field(1.0, gt=0.0)


class ClassifierSignal(Strict):
    """A linear probe on the reference LM's hidden states: P(a person would train on this row),
    trained on labeled rows (filters/quality/classifier.py says on what, and its limits)."""

    enabled: bool = True
    # Below this P(good) the row is dropped. Chosen by cross-validation on the probe's own
    # training rows (the labeled set's dev half): the P(good) that keeps 95% of good rows in
    # each language (bench/quality_probe.py --train prints it).
    min_prob: float = Field(0.289, ge=0.0, le=1.0)
    # `embedded`: the probe shipped for the reference model; or the path of one you trained.
    weights: str = "embedded"


class LanguageSignal(Strict):
    """The output is in the instruction's (or input's) language, or one the instruction asks for."""

    enabled: bool = True
    # Share of the output's letters written in an allowed language's script.
    min_share: float = Field(0.5, ge=0.0, le=1.0)


class RatingSignal(Strict):
    """An AlpaGasus-style 1-5 rating by an LLM (Chen et al. 2023). Off by default: the 135M
    embedded teacher is too weak to rate; point `teacher` at a capable model to use it."""

    enabled: bool = False
    # AlpaGasus kept rows rated 4.5 or more of 5 by ChatGPT; a smaller rater deserves a lower bar.
    min_rating: float = Field(3.5, ge=1.0, le=5.0)
    teacher: TeacherConfig = TeacherConfig()


class QualityConfig(Strict):
    """Model-based and statistical quality signals (filters/quality/)."""

    # The LM behind fluency and IFD: the embedded student base (multilingual) by default.
    reference_model: str = EMBEDDED_STUDENT
    # Each field is cut to this many tokens for the LM: the scores are means, and a cap bounds
    # the cost of a long answer (the vocabulary projection dominates on CPU).
    max_field_tokens: int = Field(96, ge=8, le=4096)
    batch_size: int = Field(16, ge=1, le=1024)
    degenerate: DegenerateSignal = DegenerateSignal()
    korean: KoreanSignal = KoreanSignal()
    fluency: FluencySignal = FluencySignal()
    ifd: IfdSignal = IfdSignal()
    classifier: ClassifierSignal = ClassifierSignal()
    language: LanguageSignal = LanguageSignal()
    rating: RatingSignal = RatingSignal()
