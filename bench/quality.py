"""Quality signals on the labeled set: precision/recall of "kept = good", and scoring speed.

    python bench/quality.py                 # P/R table (dev and test), model scores cached
    python bench/quality.py --tune          # threshold sweeps on DEV rows only, with suggestions
    python bench/quality.py --speed 1000    # model scoring: rows/s and peak RSS on 1,000 rows

Rows: tests/data/quality/labeled_*.jsonl (labeling rule at the top of each file). Each row is
judged on its own against the seed tasks (checks, seed duplicates, quality signals; no
decontamination). "garbage" = teacher rows labeled bad; "human" = human-written rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from labeled import DATA, Labeled, base_facts, load_labeled, verdicts, with_scores  # noqa: E402

from core import runtime_env  # noqa: E402
from core.config import CurateConfig, QualityConfig  # noqa: E402
from core.config.curate import SeedCopyRule  # noqa: E402
from core.models import resolve_model  # noqa: E402
from core.paths import cache_dir  # noqa: E402
from filters.quality import SIGNALS  # noqa: E402

MODEL_SIGNALS = [s.name for s in SIGNALS if s.model]


def model_scores(rows: list[Labeled], q: QualityConfig) -> list[dict]:
    """The reference LM's scores for every row. Token NLLs are cached per row (model, cap,
    format, texts), so a new labeled row costs only itself and a score definition can change
    (`scores_from_nlls`) without running the model again."""
    from filters.quality.reference_lm import SEPARATOR, ReferenceLM, scores_from_nlls

    path = resolve_model(q.reference_model)
    texts = [(r.candidate.instruction, r.candidate.input, r.candidate.output) for r in rows]
    keys = [hashlib.sha256(json.dumps([path, q.max_field_tokens, SEPARATOR, t]).encode()).hexdigest()[:20] for t in texts]
    cache_path = cache_dir() / "bench" / "quality-token-nlls.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    todo = [i for i, r in enumerate(rows) if not r.candidate.parse_error and keys[i] not in cache]
    if todo:
        print(f"reference LM: scoring {len(todo)} rows not in the cache", flush=True)
        lm = ReferenceLM.load(path, q.max_field_tokens, q.batch_size)
        for i, groups in zip(todo, lm.token_nlls([texts[i] for i in todo])):
            cache[keys[i]] = groups
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps(cache))
    scores = [scores_from_nlls(cache.get(k, {})) for k in keys]
    # The classifier's P(good) from the cached hidden states (bench/quality_probe.py).
    from filters.quality.classifier import check_probe, classifier_scores
    from quality_probe import row_features

    probe = check_probe(q.classifier.weights, q.reference_model)
    feats = row_features(rows, q)
    found = classifier_scores([feats[i][probe.layer].tolist() if i in feats else None for i in range(len(rows))], probe)
    return [{**a, **b} for a, b in zip(scores, found)]


def only(names: list[str], base: QualityConfig) -> QualityConfig:
    """`base` with exactly the signals in `names` enabled."""
    return base.model_copy(update={s.name: getattr(base, s.name).model_copy(update={"enabled": s.name in names})
                                   for s in SIGNALS})


def metrics(rows: list[Labeled], kept: list[bool]) -> dict:
    good_kept = sum(k and r.good for r, k in zip(rows, kept))
    n_kept, n_good = sum(kept), sum(r.good for r in rows)
    m = {"n": len(rows), "kept": n_kept, "precision": good_kept / n_kept if n_kept else float("nan"),
         "recall": good_kept / n_good if n_good else float("nan")}
    for lang in ("en", "ko"):
        human = [k for r, k in zip(rows, kept) if r.human and r.lang == lang]
        garbage = [not k for r, k in zip(rows, kept) if not r.human and not r.good and r.lang == lang]
        m[f"human_kept_{lang}"] = (sum(human), len(human))
        m[f"garbage_dropped_{lang}"] = (sum(garbage), len(garbage))
    return m


def _frac(pair: tuple[int, int]) -> str:
    return f"{pair[0] / pair[1]:.0%} ({pair[0]}/{pair[1]})" if pair[1] else "n/a"


def table(rows: list[Labeled], facts, q: QualityConfig, splits: list[str]) -> None:
    names = [s.name for s in SIGNALS if s.name != "rating" or any("rating.score" in f.scores for f in facts)]
    defaults = [s.name for s in SIGNALS if getattr(q, s.name).enabled]
    # (label, quality signals on, copies_seed_example on): the rule is a check of its own, not
    # a quality signal, so it is measured apart and is part of "all" and the defaults.
    variants = [("heuristics only (before)", [], False), ("+ seed_copy alone", [], True)] + \
        [(f"+ {n} alone", [n], False) for n in names] + \
        [("all signals", names, True), (f"defaults (seed_copy, {', '.join(defaults)})", defaults, True)]
    for split in splits:
        idx = [i for i, r in enumerate(rows) if split == "all" or r.split == split]
        sub = [rows[i] for i in idx]
        print(f"\n### {split}: {len(sub)} rows ({sum(r.good for r in sub)} good; "
              f"{sum(r.human for r in sub)} human, {sum(not r.human and not r.good for r in sub)} garbage)\n")
        print("| curation | kept | precision | recall | human kept en | human kept ko | garbage dropped en | garbage dropped ko |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, enabled, seed_copy in variants:
            cfg = CurateConfig(quality=only(enabled, q), seed_copy=SeedCopyRule(enabled=seed_copy))
            reasons = verdicts(sub, [facts[i] for i in idx], cfg)
            m = metrics(sub, [not r for r in reasons])
            print(f"| {label} | {m['kept']} | {m['precision']:.3f} | {m['recall']:.3f} | {_frac(m['human_kept_en'])} | "
                  f"{_frac(m['human_kept_ko'])} | {_frac(m['garbage_dropped_en'])} | {_frac(m['garbage_dropped_ko'])} |")


def good_drops(rows: list[Labeled], facts, q: QualityConfig, split: str) -> None:
    """Good rows the defaults drop, with the reason: what to read before moving a threshold."""
    idx = [i for i, r in enumerate(rows) if r.split == split and r.good]
    reasons = verdicts([rows[i] for i in idx], [facts[i] for i in idx], CurateConfig(quality=q))
    print(f"\n{split}: good rows dropped by the defaults")
    for i, why in zip(idx, reasons):
        if why:
            r = rows[i]
            print(f"  {why} {r.row['source']} | {r.candidate.instruction[:70]!r} -> {r.candidate.output[:50]!r}")


def naive_seconds(lm, texts: list[tuple[str, str, str]]) -> float:
    """The obvious scorer, for the ratio: each sequence alone, full logits at every position
    (what `model(ids, labels=...)` computes), the same two passes per row."""
    import torch

    t0 = time.perf_counter()
    with torch.inference_mode():
        for i, row in enumerate(texts):
            for seq in lm._sequences(i, *row, ifd=True):
                ids = torch.tensor([seq.ids])
                logp = torch.log_softmax(lm.model(input_ids=ids).logits[0].float(), dim=-1)
                for _, first, end in seq.spans:
                    pos = torch.arange(max(first, 1), end)
                    (-logp[pos - 1, ids[0, pos]]).tolist()
    return time.perf_counter() - t0


def speed(rows: list[Labeled], q: QualityConfig, n: int, baseline_rows: int = 40) -> None:
    """Model scoring of n rows (the labeled rows cycled): load once, score, rows/s, peak RSS,
    and the same on `baseline_rows` rows with the obvious scorer (ratio in the same run)."""
    import torch

    from filters.quality.reference_lm import ReferenceLM

    base = [r.candidate for r in rows if not r.candidate.parse_error]
    texts = [(base[i % len(base)].instruction, base[i % len(base)].input, base[i % len(base)].output)
             for i in range(n)]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    lm = ReferenceLM.load(resolve_model(q.reference_model), q.max_field_tokens, q.batch_size)
    load_s = time.perf_counter() - t0
    from filters.quality.classifier import check_probe

    # What curation runs with the defaults: one pass per row (IFD's second pass only when it is
    # enabled), the classifier's layer pooled from it.
    layer = check_probe(q.classifier.weights, q.reference_model).layer if q.classifier.enabled else None
    t1, c1 = time.perf_counter(), time.process_time()
    lm.nlls_and_features(texts, ifd=q.ifd.enabled, pool_layer=layer)
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = sum(len(seq.ids) for i, t in enumerate(texts) for seq in lm._sequences(i, *t, ifd=q.ifd.enabled))
    print(f"machine: {torch.get_num_threads()} threads, load average {open('/proc/loadavg').read().split()[0]}")
    print(f"load {load_s:.1f} s; {n} rows ({tokens} tokens through the body): wall {wall:.1f} s, cpu {cpu:.1f} s, "
          f"{n / wall:.1f} rows/s; peak RSS {peak:.0f} MiB ({peak - rss0:.0f} MiB over the {rss0:.0f} before loading)")
    k = min(baseline_rows, n)
    t2 = time.perf_counter()
    lm.score(texts[:k])
    ours = (time.perf_counter() - t2) / k
    naive = naive_seconds(lm, texts[:k]) / k
    print(f"same {k} rows: batched, lm_head on scored positions {1 / ours:.2f} rows/s; "
          f"one at a time, full logits {1 / naive:.2f} rows/s -> {naive / ours:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--tune", action="store_true", help="threshold sweeps on dev rows")
    ap.add_argument("--speed", type=int, default=0, metavar="N", help="time model scoring of N rows")
    ap.add_argument("--no-model", action="store_true", help="statistical signals only")
    args = ap.parse_args()
    runtime_env.configure(cache_dir() / "bench")
    rows = load_labeled(args.data)
    q = QualityConfig()
    if args.speed:
        speed(rows, q, args.speed)
        return
    t0 = time.perf_counter()
    facts = base_facts(rows, CurateConfig())
    print(f"{len(rows)} labeled rows; statistical scores in {time.perf_counter() - t0:.1f} s")
    if not args.no_model:
        facts = with_scores(facts, model_scores(rows, q))
    if args.tune:
        from quality_tune import sweep

        sweep(rows, facts, q)
        return
    table(rows, facts, q, ["test", "dev"])
    good_drops(rows, facts, q, "dev")


if __name__ == "__main__":
    main()
