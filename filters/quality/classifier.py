"""A quality classifier: a linear probe on the reference LM's hidden states, P(a person would
train on this row).

Why: the embedded teachers' commonest garbage is *fluent* text that is wrong, incoherent or
off-task ("Write a letter to a friend who lives in a volcano." -> "I'm going to the volcano.").
Fluency and IFD cannot see it, and a 135M rater cannot judge it. Learned quality classifiers
are the field's answer at scale (DCLM's fastText classifier, FineWeb-Edu's linear head on
embeddings); this is the same idea, small: the mean of the reference LM's hidden states at one
layer over `instruction + input + output`, standardized, through a logistic regression. The
features come from the forward pass fluency already runs, so the probe costs no extra pass.

The shipped weights (filters/quality/probes/) were trained by `bench/quality_probe.py --train`
on the *dev* half of tests/data/quality/ only: its good rows are human-written, its bad rows the
embedded teachers' (SmolLM2-135M chat, gemma-3-270m base). So it knows those teachers' failure
modes, not a strong teacher's: with a capable teacher, read what it drops, and retrain it on
your own labeled rows (`bench/quality_probe.py --train --data DIR --out FILE`).

Pure numpy at curation time; scikit-learn only trains it (bench).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROBES = Path(__file__).resolve().parent / "probes"
EMBEDDED = "embedded"  # curate.quality.classifier.weights: the probe shipped for the reference LM
SCORE_KEY = "classifier.prob_good"


@dataclass(frozen=True)
class Probe:
    """Weights of a trained probe: which model and layer its features come from, and the
    standardization and logistic regression learned on them."""

    model: str  # the reference model it was trained on (a config name, e.g. embedded:gemma-3-270m)
    layer: int  # hidden_states index: 0 = embeddings, i = after decoder layer i
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    trained_on: str

    def prob(self, features: Sequence[float]) -> float:
        """P(good) of one row's pooled hidden state."""
        if len(features) != len(self.coef):
            raise ValueError(f"probe expects {len(self.coef)} features, got {len(features)}")
        z = self.intercept + sum(c * (x - m) / s for c, x, m, s in zip(self.coef, features, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def probe_path(weights: str, reference_model: str) -> Path:
    """The weights file `curate.quality.classifier.weights` names: `embedded` is the probe
    shipped for the reference model (none ships for other models), anything else a path."""
    if weights == EMBEDDED:
        name = reference_model.removeprefix("embedded:").replace("/", "_")
        return PROBES / f"{name}.json"
    return Path(weights).expanduser()


@lru_cache(maxsize=4)
def load_probe(path: Path) -> Probe:
    """The probe at `path`; ValueError naming the problem when it is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no classifier weights at {path}") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"unreadable classifier weights {path}: {e}") from None
    try:
        probe = Probe(model=str(data["model"]), layer=int(data["layer"]), mean=tuple(map(float, data["mean"])),
                      scale=tuple(float(s) or 1.0 for s in data["scale"]), coef=tuple(map(float, data["coef"])),
                      intercept=float(data["intercept"]), trained_on=str(data.get("trained_on", "")))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"malformed classifier weights {path}: {e!r}") from None
    if not len(probe.mean) == len(probe.scale) == len(probe.coef) > 0:
        raise ValueError(f"malformed classifier weights {path}: mean, scale and coef differ in length")
    return probe


def check_probe(weights: str, reference_model: str) -> Probe:
    """The probe, checked against the reference LM it reads: features of another model mean
    nothing to it. ValueError with the fix in its message."""
    path = probe_path(weights, reference_model)
    if weights == EMBEDDED and not path.exists():
        raise ValueError(f"no classifier ships for reference model {reference_model!r}: train one "
                         "(bench/quality_probe.py --train) and set curate.quality.classifier.weights, "
                         "or set curate.quality.classifier.enabled=false")
    probe = load_probe(path)
    if probe.model != reference_model:
        raise ValueError(f"classifier weights {path} were trained on {probe.model!r}'s hidden states, "
                         f"but curate.quality.reference_model is {reference_model!r}")
    return probe


def classifier_scores(features: Sequence[Sequence[float] | None], probe: Probe) -> list[dict[str, float]]:
    """`classifier.prob_good` for each row with features ({} for a row without)."""
    return [{SCORE_KEY: round(probe.prob(f), 6)} if f is not None else {} for f in features]
