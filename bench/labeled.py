"""The labeled quality set (tests/data/quality/labeled_*.jsonl) for bench/quality.py and
bench/quality_ab.py: rows, their split, and their verdicts under a curate config.

Each file starts with the labeling rule (`{"_labeling_rule": ...}`), then one row per line:
id, source ("<teacher>:<mode>:<lang>" or "human"), lang, instruction, input, output, label
(good | bad), note, split (dev | test: sha256 of the id, even = dev), run_id, candidate_id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.config import CurateConfig
from core.paths import DEFAULT_SEEDS, REPO_ROOT
from core.records import Candidate, load_tasks
from core.text import normalize
from filters.curate import EXACT_DUPLICATE, NEAR_DUPLICATE, RowFacts, row_facts, with_scores
from filters.quality import quality_reasons
from filters.seed_copy import REASON as SEED_COPY

DATA = REPO_ROOT / "tests" / "data" / "quality"


@dataclass(frozen=True)
class Labeled:
    row: dict
    candidate: Candidate

    @property
    def good(self) -> bool:
        return self.row["label"] == "good"

    @property
    def human(self) -> bool:
        return self.row["source"] == "human"

    @property
    def lang(self) -> str:
        return self.row["lang"]

    @property
    def split(self) -> str:
        return self.row["split"]


def split_of(row_id: str) -> str:
    """The labeling rule's split: dev when sha256(id) is even."""
    return "dev" if int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_labeled(data: Path = DATA) -> list[Labeled]:
    """Every labeled row of every `labeled_*.jsonl` under `data`, checked against the rule."""
    out: list[Labeled] = []
    seen: set[str] = set()
    for path in sorted(Path(data).glob("labeled_*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if not lines or "_labeling_rule" not in json.loads(lines[0]):
            raise SystemExit(f"{path}: the first line must be the labeling rule")
        for line in lines[1:]:
            if not line.strip():
                continue
            row = json.loads(line)
            if row["id"] in seen:
                raise SystemExit(f"{path}: duplicate id {row['id']}")
            if row["split"] != split_of(row["id"]) or row["label"] not in ("good", "bad"):
                raise SystemExit(f"{path}: row {row['id']} breaks the split rule or has label {row['label']!r}")
            seen.add(row["id"])
            cand = Candidate(id=row["id"], instruction=row["instruction"], input=row.get("input", ""),
                             output=row.get("output", ""), finish_reason=row.get("finish_reason", "stop"),
                             parse_error=row.get("parse_error"))
            out.append(Labeled(row, cand))
    return out


def base_facts(rows: Sequence[Labeled], cfg: CurateConfig) -> list[RowFacts]:
    """Per-row facts against the seed tasks (the pool every run starts from), no eval overlap:
    each labeled row is judged on its own, as if it were the first of its batch."""
    tasks = load_tasks(DEFAULT_SEEDS, "seed")
    return row_facts([r.candidate for r in rows], cfg, [t.instruction for t in tasks], seed_tasks=tasks)


def verdicts(rows: Sequence[Labeled], facts: Sequence[RowFacts], cfg: CurateConfig,
             seeds: Sequence[str] | None = None) -> list[list[str]]:
    """Each row's reasons under `cfg`: checks, duplicates of a seed (exact or ROUGE-L above the
    threshold), the quality signals' reasons from its scores and copies of a seed example."""
    seeds = seeds if seeds is not None else [t.instruction for t in load_tasks(DEFAULT_SEEDS, "seed")]
    seed_keys = {normalize(s) for s in seeds}
    out = []
    for r, f in zip(rows, facts):
        reasons = list(f.reasons) + quality_reasons(f.scores, cfg.quality)
        if not r.candidate.parse_error:
            if normalize(r.candidate.instruction) in seed_keys:
                reasons.append(EXACT_DUPLICATE)
            elif f.pool_best and f.pool_best[1] > cfg.near_duplicate.threshold:
                reasons.append(NEAR_DUPLICATE)
            if f.seed_copy is not None and cfg.seed_copy.enabled:
                reasons.append(SEED_COPY)
        out.append(reasons)
    return out


__all__ = ["DATA", "Labeled", "base_facts", "load_labeled", "split_of", "verdicts", "with_scores"]
