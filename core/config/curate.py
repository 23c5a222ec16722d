"""`curate`: the per-example checks' limits, near-duplicate removal, decontamination and the
quality signals (`core.config.quality`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from core.config.base import Strict
from core.config.quality import QualityConfig
from core.language import unknown_language
from core.paths import DEFAULT_EVAL_SET


class LengthRule(Strict):
    min_words: int = Field(3, ge=0)
    max_words: int = Field(150, ge=1)


class NearDuplicateRule(Strict):
    # Token-level ROUGE-L F1 computed exactly (rapidfuzz Indel on token strings), so 0.7 is
    # Self-Instruct's own threshold: drop when similarity to an earlier instruction > 0.7.
    threshold: float = Field(0.7, ge=0.0, le=1.0)
    # Self-Instruct compares instructions only; imported data with one instruction and many
    # inputs ("Translate ...") needs the input included to keep its distinct examples.
    include_input: bool = False
    # Up to this many earlier texts every pair is scored; past it, prefix-filter blocking
    # (filters/blocking.py) scores only pairs that could pass the threshold: the same drops,
    # but similarities recorded below the threshold become lower bounds.
    exact_max_pool: int = Field(10_000, ge=0)


class DecontaminationRule(Strict):
    eval_set: Path | None = DEFAULT_EVAL_SET
    # A candidate overlaps when it shares any word n-gram of this length with an eval item
    # (or, shorter than n words, when its instruction is a near-duplicate of an eval one).
    ngram: int = Field(8, ge=1, le=64)


class SeedCopyRule(Strict):
    # `copies_seed_example` (filters/seed_copy.py): an input or output within this rapidfuzz
    # ratio (0-1) of a seed example's text. 0.9 was set on real nights' rows, not on the
    # labeled set: it flags 18 of the 20 rows one default night kept and 1 of 529 human rows.
    enabled: bool = True
    threshold: float = Field(0.9, ge=0.5, le=1.0)


class CurateConfig(Strict):
    """The ordered checks and set-level steps every candidate goes through."""

    instruction_length: LengthRule = LengthRule()
    output_length: LengthRule = LengthRule(min_words=1, max_words=400)
    blacklist: list[str] = Field(
        # Self-Instruct's list: tasks a text-only model cannot do; then the same things in
        # Korean, matched as nouns with particles attached (filters/keywords.py). Left out
        # on purpose: 영상 (also "above zero": 영상 5도), 그리다 (also "to depict"), 흐름도
        # (the analyser reads 흐름 + the particle 도).
        default_factory=lambda: [
            "image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
            "map", "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart",
            "diagram",
            "이미지", "그림", "사진", "파일", "동영상", "그래프", "지도", "음성", "오디오", "녹음",
            "링크", "음악", "순서도", "다이어그램", "도표",
        ]
    )
    # The languages kept (`wrong_language`) and the ones generation prompts ask for: the one
    # list of them. Codes are ISO 639-1 as `core.language` detects them.
    languages: list[str] = Field(default_factory=lambda: ["en", "ko"], min_length=1)
    max_repeated_ngram_fraction: float = Field(0.5, gt=0.0, le=1.0)
    near_duplicate: NearDuplicateRule = NearDuplicateRule()
    decontamination: DecontaminationRule = DecontaminationRule()
    seed_copy: SeedCopyRule = SeedCopyRule()
    # Model-based and statistical quality signals (filters/quality/), stored as scores.
    quality: QualityConfig = QualityConfig()

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, codes: list[str]) -> list[str]:
        # "kr" used to be accepted and then silently dropped every Korean row.
        for code in codes:
            problem = unknown_language(code)
            if problem:
                raise ValueError(problem)
        return codes
