"""Does curation pay? LoRA-tune the student with the same steps on three sets cut from the same
real candidates, then evaluate each adapter on the held-out set.

    python bench/quality_ab.py --candidates RUN_DIR_OR_JSONL [...] [--steps 30] [--eval-per-lang 20]
    python bench/quality_ab.py --labeled test     # the labeled set's test half, eval items left out

(a) every parseable candidate, (b) today's heuristic curation (checks, duplicates of the seeds
and of each other, decontamination; quality signals off), (c) the new curation (defaults, with
the reference LM). Training is the real code (tuning/train.py: peft + TRL, the default tune
config, seeds NOT mixed in so the sets differ only by curation); evaluation is evals/: held-out
loss of the reference answers on every item of seeds/eval.jsonl, and strict constraint
accuracy of greedy answers on a fixed subset (the first N items with constraints per language).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from core import runtime_env  # noqa: E402
from core.config import CurateConfig, TuneConfig  # noqa: E402
from core.fingerprints import rows_fingerprint  # noqa: E402
from core.models import resolve_model  # noqa: E402
from core.paths import DEFAULT_EVAL_SET, DEFAULT_SEEDS, cache_dir  # noqa: E402
from core.records import Candidate, load_tasks, user_prompt  # noqa: E402
from core.store import read_jsonl_rows  # noqa: E402
from filters import curate  # noqa: E402
from filters.curate import row_facts, with_scores  # noqa: E402
from filters.quality import SIGNALS  # noqa: E402


def read_candidates(paths: list[Path]) -> list[Candidate]:
    out: list[Candidate] = []
    for p in paths:
        p = p / "candidates.jsonl" if p.is_dir() else p
        out += [Candidate.model_validate(r) for r in read_jsonl_rows(p)]
    return out


def labeled_candidates(split: str) -> list[Candidate]:
    """The labeled set's rows of one split as candidates: the teachers' garbage and the
    human-written rows mixed, as a user's unfiltered data is. The eval tasks' own rows
    (labeled_eval_tasks.jsonl) are left out: they are the held-out set the adapters are
    scored on. Use the test split: the quality classifier was trained on dev."""
    from labeled import load_labeled

    return [r.candidate for r in load_labeled() if r.split == split and not r.row["id"].startswith("eval-")]


def heuristic(cfg: CurateConfig) -> CurateConfig:
    q = cfg.quality
    return cfg.model_copy(update={"seed_copy": cfg.seed_copy.model_copy(update={"enabled": False}),
                                  "quality": q.model_copy(update={
        s.name: getattr(q, s.name).model_copy(update={"enabled": False}) for s in SIGNALS})})


def training_sets(cands: list[Candidate]) -> dict[str, list[dict]]:
    from flows.curation import model_scores_of
    from tuning.data import as_messages

    cfg = CurateConfig()
    tasks = load_tasks(DEFAULT_SEEDS, "seed")
    seeds = [(t.id, t.instruction) for t in tasks]
    evals = load_tasks(DEFAULT_EVAL_SET, "eval")
    parsed = [i for i, c in enumerate(cands) if not c.parse_error]
    # The model scores exactly as curation computes them (reference LM and classifier).
    scores, _ = model_scores_of(cands, cfg)
    facts = with_scores(row_facts(cands, cfg, [t for _, t in seeds], evals, seed_tasks=tasks), scores)
    kept = {"a: every parseable candidate": [cands[i] for i in parsed]}
    for name, c in (("b: heuristic curation (today)", heuristic(cfg)), ("c: new curation (quality signals)", cfg)):
        rows = curate(cands, c, seeds, evals, facts=facts)
        kept[name] = [cand for cand, r in zip(cands, rows) if r.verdict == "kept"]
    return {name: [{"id": c.id, "messages": as_messages(c.instruction, c.input, c.output)} for c in cs]
            for name, cs in kept.items()}


def eval_subset(per_lang: int) -> list[dict]:
    from flows.evaluate_checks import eval_items

    items = [it for it in eval_items(DEFAULT_EVAL_SET) if it["constraints"]]
    from core.language import detect_language

    by_lang: dict[str, list[dict]] = {"en": [], "ko": []}
    for it in items:
        lang = "ko" if detect_language(it["instruction"]) == "ko" else "en"
        if len(by_lang[lang]) < per_lang:
            by_lang[lang].append(it)
    return by_lang["en"] + by_lang["ko"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--candidates", type=Path, nargs="+")
    source.add_argument("--labeled", choices=["dev", "test"], help="the labeled set's rows of this split")
    ap.add_argument("--steps", type=int, default=TuneConfig().max_steps)
    ap.add_argument("--eval-per-lang", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()
    runtime_env.configure(cache_dir() / "bench")
    from evals.answers import generate_transformers, heldout_losses
    from evals.constraints import prompt_level
    from flows.evaluate_checks import eval_items
    from tuning.train import train

    cands = labeled_candidates(args.labeled) if args.labeled else read_candidates(args.candidates)
    sets = training_sets(cands)
    tune = TuneConfig(max_steps=args.steps, include_seeds=False)
    base = resolve_model(tune.student)
    work = Path(tempfile.mkdtemp(prefix="germinate-ab-"))
    adapters: dict[str, Path | None] = {"base (no tuning)": None}
    for k, (name, rows) in enumerate(sets.items()):
        if not rows:
            print(f"{name}: no rows, not trained")
            continue
        t0 = time.perf_counter()
        info = train(tune, base, rows, work / f"adapter-{k}", rows_fingerprint(rows), tune.student)
        print(f"{name}: {len(rows)} rows, {info['steps']} steps in {time.perf_counter() - t0:.0f} s, "
              f"loss {info['loss_curve'][0]['loss']:.3f} -> {info['loss_curve'][-1]['loss']:.3f}", flush=True)
        adapters[name] = work / f"adapter-{k}"
    items = eval_items(DEFAULT_EVAL_SET)
    convs = [[{"role": "user", "content": user_prompt(it)}, {"role": "assistant", "content": it["reference"]}]
             for it in items]
    subset = eval_subset(args.eval_per_lang)
    prompts = [[{"role": "user", "content": user_prompt(it)}] for it in subset]
    answers = generate_transformers(base, prompts, adapters, max_tokens=96)
    results = []
    for name, adapter in adapters.items():
        acc = prompt_level([(it["constraints"], a.text) for it, a in zip(subset, answers[name])])
        per_item = heldout_losses(base, convs, adapter)
        loss = sum(n for n, _ in per_item) / sum(t for _, t in per_item)
        rows = len(sets.get(name, [])) if adapter else 0
        results.append({"set": name, "rows": rows, "heldout_loss": round(loss, 4), "constraint_accuracy": acc})
    print(f"\n{len(cands)} candidates; {tune.max_steps} steps x batch {tune.batch_size}; held-out loss on all "
          f"{len(items)} eval items; constraint accuracy on {len(subset)} ({args.eval_per_lang} en + ko with constraints)\n")
    print("| training set | rows | held-out loss | constraint accuracy |\n|---|---:|---:|---:|")
    for r in results:
        acc = "n/a" if r["constraint_accuracy"] is None else f"{r['constraint_accuracy']:.3f}"
        print(f"| {r['set']} | {r['rows']} | {r['heldout_loss']:.3f} | {acc} |")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
