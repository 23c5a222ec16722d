"""Train the quality classifier (filters/quality/classifier.py) on labeled rows.

    python bench/quality_probe.py --train                       # the shipped probe: dev rows only
    python bench/quality_probe.py --train --data DIR --out FILE # your own labeled rows

Features: the reference LM's hidden states at one layer, averaged over `instruction + input +
output` (the same forward pass curation runs for fluency; cached per row). Model: standardize,
then logistic regression with balanced classes (scikit-learn). Layer and regularisation are
chosen by 5-fold cross-validated ROC AUC on the training rows, and the suggested `min_prob` is
the out-of-fold P(good) that keeps 95% of the good rows in each language, so no threshold
sees the test half. Prints test-half figures (alone) when the data has a test half.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from labeled import DATA, Labeled, load_labeled  # noqa: E402

from core.paths import DEFAULT_SEEDS  # noqa: E402
from core.records import Candidate, load_tasks  # noqa: E402

from core import runtime_env  # noqa: E402
from core.config import QualityConfig  # noqa: E402
from core.models import resolve_model  # noqa: E402
from core.paths import cache_dir  # noqa: E402
from filters.quality.classifier import EMBEDDED, probe_path  # noqa: E402
from filters.quality.reference_lm import SEPARATOR  # noqa: E402

LAYERS = (4, 6, 8, 10, 12, 14)
CS = (0.003, 0.01, 0.03, 0.1)
KEEP_GOOD = 0.95  # min_prob keeps this share of good rows per language, out of fold


def row_features(rows: list[Labeled], q: QualityConfig) -> dict[int, np.ndarray]:
    """Row index -> hidden states averaged per layer (layers x width), for the parseable rows;
    cached per (model, cap, format, texts) so a new labeled row costs only itself."""
    from filters.quality.reference_lm import ReferenceLM

    path = resolve_model(q.reference_model)
    texts = [(r.candidate.instruction, r.candidate.input, r.candidate.output) for r in rows]
    keys = [hashlib.sha256(json.dumps([path, q.max_field_tokens, SEPARATOR, t]).encode()).hexdigest()[:20]
            for t in texts]
    cache_path = cache_dir() / "bench" / "quality-features.npz"
    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        with np.load(cache_path) as z:
            cache = dict(zip(z["keys"].tolist(), z["X"]))
    todo = [i for i, r in enumerate(rows) if not r.candidate.parse_error and keys[i] not in cache
            and texts[i][0].strip() and texts[i][2].strip()]
    if todo:
        print(f"reference LM: features of {len(todo)} rows not in the cache", flush=True)
        import torch

        lm = ReferenceLM.load(path, q.max_field_tokens, q.batch_size)
        with torch.inference_mode():  # every layer of a row in one pass (curation pools one layer)
            for i in todo:
                seq = lm._sequences(i, *texts[i], ifd=False)[0]
                states = lm.model.base_model(input_ids=torch.tensor([seq.ids]), output_hidden_states=True).hidden_states
                cache[keys[i]] = np.stack([h[0].float().mean(0).numpy() for h in states[: max(LAYERS) + 1]]
                                          ).astype(np.float16)
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_path, keys=np.array(list(cache)), X=np.stack(list(cache.values())))
    return {i: cache[k].astype(np.float32) for i, k in enumerate(keys) if k in cache}


def seed_rows() -> list[Labeled]:
    """The seed tasks' instances as good rows: human-written instruction data the pipeline
    already ships, so the probe sees more good rows than the labeled dev half has."""
    rows = []
    for task in load_tasks(DEFAULT_SEEDS, "seeds"):
        for n, inst in enumerate(task.instances):
            text = task.instruction + inst.input + inst.output
            lang = "ko" if sum("\uac00" <= ch <= "\ud7a3" for ch in text) > len(text) / 10 else "en"
            row = {"id": f"seed-{task.id}-{n}", "source": "seed", "lang": lang, "label": "good", "split": "seed"}
            rows.append(Labeled(row, Candidate(id=row["id"], instruction=task.instruction, input=inst.input,
                                               output=inst.output)))
    return rows


def trains_on(row: Labeled, split: str | None) -> bool:
    """Training rows: the labeled split (all rows with None) and the seeds, never an eval-set
    item (labeled_eval_tasks.jsonl): curation must not learn what the evaluation asks."""
    if row.row["id"].startswith("eval-"):
        return False
    return row.split == "seed" or split is None or row.split == split


def _model(c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000, class_weight="balanced"))


def train(rows: list[Labeled], feats: dict[int, np.ndarray], train_split: str | None) -> dict:
    """Pick layer and C by cross-validated AUC on the training rows, fit, suggest min_prob."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    idx = [i for i in sorted(feats) if trains_on(rows[i], train_split)]
    y = np.array([rows[i].good for i in idx])
    lang = np.array([rows[i].lang for i in idx])
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    best = None
    for layer in LAYERS:
        x = np.stack([feats[i][layer] for i in idx])
        for c in CS:
            oof = cross_val_predict(_model(c), x, y, cv=folds, method="predict_proba")[:, 1]
            auc = roc_auc_score(y, oof)
            print(f"  layer {layer:2d} C {c:<6} cross-validated AUC {auc:.4f}")
            if best is None or auc > best[0]:
                best = (auc, layer, c, oof)
    auc, layer, c, oof = best
    min_prob = min(float(np.quantile(oof[y & (lang == lg)], 1 - KEEP_GOOD)) for lg in sorted(set(lang[y])))
    fitted = _model(c).fit(np.stack([feats[i][layer] for i in idx]), y)
    scaler, lr = fitted.named_steps["standardscaler"], fitted.named_steps["logisticregression"]
    print(f"chosen: layer {layer}, C {c} (AUC {auc:.4f}); min_prob keeping {KEEP_GOOD:.0%} of good rows "
          f"per language out of fold: {min_prob:.3f}")
    return {"layer": layer, "C": c, "cv_auc": round(auc, 4), "suggested_min_prob": round(min_prob, 3),
            "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(), "coef": lr.coef_[0].tolist(),
            "intercept": float(lr.intercept_[0]), "rows": len(idx), "good": int(y.sum())}


def report(rows: list[Labeled], feats: dict[int, np.ndarray], probe: dict, split: str) -> None:
    """The probe alone on one split: human rows kept and teacher garbage dropped, per language."""
    from filters.quality.classifier import Probe

    p = Probe(model="", layer=probe["layer"], mean=tuple(probe["mean"]), scale=tuple(probe["scale"]),
              coef=tuple(probe["coef"]), intercept=probe["intercept"], trained_on="")
    th = probe["suggested_min_prob"]
    for lang in ("en", "ko"):
        sub = [i for i in feats if rows[i].split == split and rows[i].lang == lang]
        human = [p.prob(feats[i][p.layer]) >= th for i in sub if rows[i].human]
        garbage = [p.prob(feats[i][p.layer]) < th for i in sub if not rows[i].human and not rows[i].good]
        if human or garbage:
            print(f"  {split} {lang}: human kept {sum(human)}/{len(human)}, garbage dropped {sum(garbage)}/{len(garbage)}")


def ablate(rows: list[Labeled], feats: dict[int, np.ndarray], probe: dict) -> None:
    """Which other model signals still pay beside the probe, judged on dev with *out-of-fold*
    probabilities (the probe never scores a row it was trained on), so dev can decide."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from core.config import CurateConfig
    from labeled import base_facts, verdicts, with_scores
    from quality import metrics, model_scores, only

    from filters.quality import SIGNALS
    from filters.quality.classifier import SCORE_KEY

    q = QualityConfig()
    dev = [i for i, r in enumerate(rows) if r.split == "dev"]
    train = [i for i in sorted(feats) if trains_on(rows[i], "dev")]
    x = np.stack([feats[i][probe["layer"]] for i in train])
    y = np.array([rows[i].good for i in train])
    oof = cross_val_predict(_model(probe["C"]), x, y, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                            method="predict_proba")[:, 1]
    prob = dict(zip(train, oof))
    scores = model_scores([rows[i] for i in dev], q)
    for n, i in enumerate(dev):
        if i in prob:
            scores[n][SCORE_KEY] = float(prob[i])
    sub = [rows[i] for i in dev]
    facts = with_scores(base_facts(sub, CurateConfig()), scores)
    names = [s.name for s in SIGNALS if s.name != "rating"]
    defaults = [s.name for s in SIGNALS if getattr(q, s.name).enabled]
    print("\ndev, out-of-fold classifier: which signals to keep beside it")
    print("| curation | human kept en | human kept ko | garbage dropped en | garbage dropped ko |\n|---|---:|---:|---:|---:|")
    variants = [("all signals", names), ("all but ifd", [n for n in names if n != "ifd"]),
                ("all but fluency", [n for n in names if n != "fluency"]),
                ("all but ifd and fluency", [n for n in names if n not in ("ifd", "fluency")]),
                ("defaults", defaults)] + [(f"defaults but {n}", [m for m in defaults if m != n])
                                           for n in defaults if n != "classifier"]
    for label, enabled in variants:
        cfg = CurateConfig(quality=only(enabled, q))
        m = metrics(sub, [not why for why in verdicts(sub, facts, cfg)])
        cells = [f"{m[k][0] / m[k][1]:.0%} ({m[k][0]}/{m[k][1]})" for k in
                 ("human_kept_en", "human_kept_ko", "garbage_dropped_en", "garbage_dropped_ko")]
        print(f"| {label} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="store_true", help="train and write the probe")
    ap.add_argument("--data", type=Path, default=DATA, help="a folder of labeled_*.jsonl")
    ap.add_argument("--out", type=Path, help="weights file (default: the shipped probe of the reference model)")
    ap.add_argument("--all-rows", action="store_true", help="train on every row, not only the dev half")
    ap.add_argument("--ablate", action="store_true", help="after training: the other model signals beside it, on dev")
    args = ap.parse_args()
    if not args.train:
        ap.error("nothing to do: pass --train")
    runtime_env.configure(cache_dir() / "bench")
    q = QualityConfig()
    rows = load_labeled(args.data) + seed_rows()
    feats = row_features(rows, q)
    split = None if args.all_rows else "dev"
    probe = train(rows, feats, split)
    for s in ("dev", "test"):
        report(rows, feats, probe, s)
    out = args.out or probe_path(EMBEDDED, q.reference_model)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(args.data).glob("labeled_*.jsonl"))))
    weights = {"model": q.reference_model, "trained_on": f"{args.data.name}/labeled_*.jsonl "
               f"(sha256 {digest.hexdigest()[:12]}), {'all rows' if split is None else 'dev half'}: "
               f"{probe['rows']} rows, {probe['good']} good, eval-set items left out; + the seed tasks' instances",
               **probe}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(weights, indent=None) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    if args.ablate:
        ablate(rows, feats, probe)


if __name__ == "__main__":
    main()
