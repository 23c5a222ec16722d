"""Near-duplicate dedup: germinate's engine against the Alpaca/Self-Instruct ROUGE-L loop.

    python bench/dedup.py                         # 500, 1k, 2k (both) and 20k, 100k (germinate)
    python bench/dedup.py --big                   # ... and 500k
    python bench/dedup.py --sizes 2000 --baseline-max 1000
    python bench/dedup.py --sizes 20000,100000 --minhash   # + datasketch MinHash LSH blocking
    python bench/dedup.py --sizes '' --korean-sizes 2000,20000  # the Korean rows only

Both engines apply Self-Instruct's rule in order: an instruction is dropped when its
ROUGE-L F1 with any instruction kept before it is > 0.7, else it is kept.
- `rouge-loop`: stanford_alpaca's generate_instruction.py (tatsu-lab/stanford_alpaca,
  lines 184-205 at 761dc5b): per instruction, a fresh multiprocessing.Pool(num_cpus) maps
  rouge_score's `_score_lcs` over the pre-tokenised kept instructions. (Self-Instruct's own
  bootstrap_instructions.py maps `scorer.score`, re-tokenising every pair: slower still.)
- `germinate`: `filters.index.PoolIndex.admit`, with the defaults of `NearDuplicateRule`
  (exact scoring up to `exact_max_pool` kept texts, exact prefix-filter blocking past it).
- `minhash-lsh` (--minhash): datasketch MinHash (128 perm) + MinHashLSH over word
  unigrams+bigrams, then exact rapidfuzz scoring of the LSH candidates.

Each (engine, size) runs in a fresh subprocess, so its peak RSS is its own. Recall and
precision are of the engine's drops against a reference that scores every pair: the
rouge-score loop where it ran, else germinate's exact path (--exhaustive-max). The data is
synthetic English (rouge-score's tokenizer keeps only [a-z0-9]); see `instructions`.

Korean rows (--korean-sizes): `bench/korean_corpus.py`, Korean requests of which 20% rewrite an
earlier one with spacing/particle/ending changes only. `germinate-ko` is the same engine (its
Korean token view), `exhaustive-ko` scores every pair (the reference), `words-ko` is the same
engine with the space-separated-word tokens used before the Korean view. "variants caught" is
the share of rewrites dropped: a rewrite asks for the same thing, so it should go.
Timings on a shared machine are noisy: CPU seconds and the load average are printed too.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# --- synthetic instructions -------------------------------------------------------------

VERBS = (
    "write compose draft create generate produce design outline describe explain summarize "
    "list give suggest recommend classify identify compare rewrite translate analyze evaluate "
    "propose plan find name"
).split()
ADJS = (
    "short brief detailed funny formal casual persuasive simple creative concise friendly "
    "professional catchy thoughtful practical realistic polite informative humorous emotional "
    "critical balanced clear"
).split()
GENRES = (
    "poem story essay email letter tweet speech slogan report review summary dialogue song "
    "joke riddle article headline description proposal plan"
).split()
# The head of the vocabulary: common English nouns. The tail (`_tail_words`) stands in
# for names, jargon and rare words; together they are drawn Zipf-like, as in real text.
NOUNS = (
    "sea ocean river mountain forest city village school teacher student computer phone "
    "garden kitchen coffee tea bread music movie book library museum hospital doctor nurse "
    "bicycle car train airport hotel restaurant market bank money budget salary job interview "
    "meeting project team manager customer product service website app software database "
    "network security password email friendship family parent child dog cat bird weather "
    "rain snow summer winter holiday birthday wedding party game sport football tennis "
    "exercise diet sleep health stress anxiety happiness history science math physics "
    "chemistry biology climate energy pollution recycling election government law court "
    "tax company startup investment economy inflation language culture art painting"
).split()
SYLLABLES = "ka lo mi ra ven tor sel an dri pu bel con fen gar hol is jun mar nor qui sta tel ul vor wen zan".split()
AUDIENCES = "children teenagers students beginners experts parents retirees managers engineers tourists".split()
ROLES = "teacher doctor student manager engineer journalist lawyer chef designer scientist".split()
PLACES = ["home", "work", "school", "the office", "a small town", "a big city", "the hospital", "the library"]
TEMPLATES = [
    "{verb} a {adj} {genre} about {topic}.",
    "{verb} a {adj} {genre} about {topic} for {audience}.",
    "Explain why {topic} matters to {audience}.",
    "Give {n} tips for improving {topic}.",
    "What are the main differences between {topic} and {topic2}?",
    "Summarize the following {genre} about {topic} in {n} sentences.",
    "Classify the following {genre} as related to {topic} or {topic2}.",
    "Describe how {topic} affects {topic2} in {place}.",
    "Write a {adj} {genre} that explains {topic} to {audience}.",
    "Suggest {n} ways to reduce {topic} at {place}.",
    "Create a {adj} plan for learning about {topic} in {n} weeks.",
    "Rewrite the sentence about {topic} to sound more {adj}.",
    "List {n} questions a {role} might ask about {topic}.",
    "Compare {topic} with {topic2} and explain which is better for {audience}.",
    "Generate a {adj} title for a {genre} about {topic} and {topic2}.",
    "How can a {role} use {topic} to improve {topic2}?",
    "Write a {genre} from the perspective of a {role} who discovers {topic}.",
    "Identify the logical fallacy in this argument about {topic}.",
    "Propose a {adj} experiment to test whether {topic} influences {topic2}.",
    "Convert this recipe for {topic} into a shopping list for {n} people.",
    "Find the grammatical errors in the following {genre} about {topic}.",
    "Name {n} famous people associated with {topic} and explain why.",
    "Draft an agenda for a meeting of {audience} about {topic}.",
    "Is {topic} a good idea for {audience}? Give reasons for and against.",
    "Outline the steps a {role} should follow to handle {topic}.",
    "Translate the following {genre} about {topic} into plain English.",
    "Give an example of how {topic} is used in {place}.",
    "Evaluate the claim that {topic} causes {topic2}.",
    "Make a {adj} quiz with {n} questions about {topic}.",
    "Tell me a {adj} {genre} involving {topic} and a {role}.",
    "Predict what will happen to {topic} over the next {n} years.",
    "Write a product description for {topic} aimed at {audience}.",
    "Explain the concept of {topic} using an analogy with {topic2}.",
    "Sort these items by how relevant they are to {topic}: {topic2}, {w}, {w2}.",
    "Respond to a customer who complains about {topic} at {place}.",
    "Create a {n}-day itinerary for {audience} interested in {topic}.",
    "What questions should I ask before buying {topic}?",
    "Estimate the cost of {topic} for a family of {n}.",
    "Write a haiku about {topic}.",
    "Debate whether {audience} should learn about {topic} before {topic2}.",
]
CONSTRAINTS = [
    "Keep it under {n} words.", "Use simple language for {audience}.",
    "Include an example about {w}.", "Mention {w} at least once.",
    "Answer in {n} words or fewer.", "Format the answer as a bulleted list.",
    "Avoid technical terms like {w}.", "End with a question for {audience}.",
    "Write it in the voice of a {w} expert.", "Do not use the word {w}.",
    "Explain your reasoning step by step.", "Respond in a {adj} tone.",
    "Cite at least {m} sources.", "Limit the answer to {m} paragraphs.",
    "Start with a one-sentence summary.", "Use a table if it helps.",
    "Assume the reader knows nothing about {w}.",
    "Give the answer first, then the explanation.", "Make it suitable for {audience}.",
]
# How a model rephrases: a synonym, a filler word, a dropped or replaced word.
SYNONYMS = {
    "write": "compose", "compose": "write", "create": "generate", "generate": "create",
    "short": "brief", "brief": "short", "explain": "describe", "describe": "explain",
    "list": "give", "give": "list", "tips": "suggestions", "ways": "methods",
    "improving": "enhancing", "reduce": "lower", "main": "key", "differences": "distinctions",
    "plan": "schedule", "story": "tale", "essay": "piece", "funny": "humorous",
    "simple": "easy", "about": "on", "for": "to",
}
FILLERS = "please briefly carefully quickly also really very".split()


class _Writer:
    """Draws instructions: templates x Zipf vocabulary, some rephrasing an earlier one."""

    def __init__(self, seed: int, tail: int = 50_000) -> None:
        self.rng = random.Random(seed)
        head = list(NOUNS)
        self.rng.shuffle(head)
        self.words = head + self._tail_words(tail)
        self.cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(self.words))))

    def _tail_words(self, n: int) -> list[str]:
        seen: set[str] = set()
        out = []
        while len(out) < n:
            w = "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))
            if w not in seen and w not in NOUNS:
                seen.add(w)
                out.append(w)
        return out

    def word(self) -> str:
        return self.words[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]

    def topic(self) -> str:
        r = self.rng.random()
        if r < 0.25:
            return f"{self.word()} {self.word()}"
        if r < 0.6:
            return f"{self.rng.choice(ADJS)} {self.word()} {self.word()}"
        return f"the {self.word()} of {self.word()} {self.word()}"

    def fresh(self) -> str:
        rng = self.rng
        s = rng.choice(TEMPLATES).format(
            verb=rng.choice(VERBS).capitalize(), adj=rng.choice(ADJS), genre=rng.choice(GENRES),
            topic=self.topic(), topic2=self.topic(), audience=rng.choice(AUDIENCES),
            n=rng.randint(2, 10), place=rng.choice(PLACES), role=rng.choice(ROLES),
            w=self.word(), w2=self.word(),
        )
        if rng.random() < 0.5:
            s += " " + rng.choice(CONSTRAINTS).format(
                n=rng.randint(2, 10) * 10, m=rng.randint(2, 5), w=self.word(),
                adj=rng.choice(ADJS), audience=rng.choice(AUDIENCES),
            )
        return s[0].upper() + s[1:]

    def rephrase(self, text: str) -> str:
        tokens = text.rstrip(".?").split()
        for _ in range(self.rng.randint(1, 4)):
            op, i = self.rng.random(), self.rng.randrange(len(tokens))
            if op < 0.4 and tokens[i].lower() in SYNONYMS:
                tokens[i] = SYNONYMS[tokens[i].lower()]
            elif op < 0.6:
                tokens.insert(i, self.rng.choice(FILLERS))
            elif op < 0.75 and len(tokens) > 4:
                del tokens[i]
            else:
                tokens[i] = self.word()
        s = " ".join(tokens)
        return s[0].upper() + s[1:] + text[-1]


def instructions(n: int, seed: int = 1, rephrase_rate: float = 0.2) -> list[str]:
    """n English instructions, the same for the same (n, seed): a `rephrase_rate` share
    rephrase an earlier one (1-4 edits, so ROUGE-L lands on both sides of 0.7), the rest
    fill one of 40 templates from a 50k-word Zipf vocabulary (so unrelated instructions
    from one template can be near-duplicates too, as generated ones are)."""
    w = _Writer(seed)
    out: list[str] = []
    for _ in range(n):
        if out and w.rng.random() < rephrase_rate:
            out.append(w.rephrase(out[w.rng.randrange(len(out))]))
        else:
            out.append(w.fresh())
    return out


# --- engines (each returns the drop decision per instruction) ----------------------------


def rouge_loop(texts: list[str], threshold: float) -> list[bool]:
    """stanford_alpaca generate_instruction.py's filter, minus the API calls and I/O."""
    from functools import partial
    from multiprocessing import Pool

    import numpy as np
    from rouge_score import rouge_scorer

    num_cpus = os.cpu_count()
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    all_instructions: list[str] = []
    all_instruction_tokens: list[list[str]] = []
    dropped = []
    for inst in texts:
        new_instruction_tokens = scorer._tokenizer.tokenize(inst)
        # Alpaca starts from 175 seed tasks; we start empty, so the first one is kept.
        if all_instruction_tokens:
            with Pool(num_cpus) as p:
                rouge_scores = p.map(
                    partial(rouge_scorer._score_lcs, new_instruction_tokens), all_instruction_tokens
                )
            rouge_scores = [score.fmeasure for score in rouge_scores]
            _most_similar = {  # computed and stored by Alpaca for every kept instruction
                all_instructions[i]: rouge_scores[i] for i in np.argsort(rouge_scores)[-10:][::-1]
            }
            _avg = float(np.mean(rouge_scores))
            if max(rouge_scores) > threshold:
                dropped.append(True)
                continue
        dropped.append(False)
        all_instructions.append(inst)
        all_instruction_tokens.append(new_instruction_tokens)
    return dropped


def germinate(texts: list[str], threshold: float, exact_max_pool: int) -> list[bool]:
    from filters.index import PoolIndex

    index = PoolIndex(threshold, exact_max_pool)
    return [not admitted for _, _, admitted in index.admit(texts)]


def minhash_lsh(texts: list[str], threshold: float) -> list[bool]:
    """datasketch MinHash LSH blocking (unigrams+bigrams), then exact scoring."""
    from datasketch import MinHash, MinHashLSH

    from filters.similarity import TokenEncoder, best_match

    encoder = TokenEncoder()
    codes = [encoder.encode(t) for t in texts]

    def shingles(code: str) -> list[bytes]:
        toks = [c.encode("utf-8") for c in code]
        return list({*toks, *(a + b"|" + b for a, b in zip(toks, toks[1:]))})

    signatures = MinHash.bulk([shingles(c) for c in codes], num_perm=128)
    lsh = MinHashLSH(threshold=0.3, num_perm=128)
    dropped = []
    for i, (code, sig) in enumerate(zip(codes, signatures)):
        cands = sorted(lsh.query(sig)) if code else []
        _, score = best_match(code, [codes[j] for j in cands])
        dropped.append(score > threshold)
        if score <= threshold and code:
            lsh.insert(i, sig)
    return dropped


# --- one measurement per subprocess ------------------------------------------------------


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(engine: str, n: int, seed: int, out: Path, nightly: int, exact_max_pool: int | None) -> None:
    """Run one engine on n instructions; write times, peak RSS and drops as JSON to `out`."""
    from core.config import NearDuplicateRule

    rule = NearDuplicateRule()
    if exact_max_pool is not None:
        rule.exact_max_pool = exact_max_pool
    variant_of = None
    if engine.endswith("-ko"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from korean_corpus import instructions as korean_instructions

        texts, variant_of = korean_instructions(n, seed)
        if engine == "words-ko":
            import core.text
            import filters.similarity

            filters.similarity.similarity_tokens = core.text.words  # the view before Korean support
        engine = {"germinate-ko": "germinate", "exhaustive-ko": "exhaustive", "words-ko": "germinate"}[engine]
    else:
        texts = instructions(n, seed)
    # Imports are not part of the measurement.
    import filters.index  # noqa: F401
    if engine == "rouge-loop":
        import rouge_score.rouge_scorer  # noqa: F401
    elif engine == "minhash-lsh":
        import datasketch  # noqa: F401
    if variant_of is not None:
        # Building the Korean analyser (once per process, ~1-2 s) is start-up, not dedup work.
        from core import korean

        korean.morphemes("준비")
    rss_before = _rss_mib()
    c0, t0 = time.process_time(), time.perf_counter()
    kids0 = os.times()
    if engine == "rouge-loop":
        dropped = rouge_loop(texts, rule.threshold)
    elif engine == "germinate":
        dropped = germinate(texts, rule.threshold, rule.exact_max_pool)
    elif engine == "exhaustive":
        dropped = germinate(texts, rule.threshold, exact_max_pool=n)
    elif engine == "minhash-lsh":
        dropped = minhash_lsh(texts, rule.threshold)
    else:
        raise SystemExit(f"unknown engine {engine}")
    wall = time.perf_counter() - t0
    kids = os.times()
    cpu = time.process_time() - c0 + (kids.children_user - kids0.children_user) + (
        kids.children_system - kids0.children_system
    )
    result = {
        "engine": engine, "n": n, "wall": wall, "cpu": cpu, "rss_before": rss_before,
        "rss_peak": _rss_mib(), "dropped": [i for i, d in enumerate(dropped) if d],
    }
    if variant_of is not None:
        variants = [i for i, v in enumerate(variant_of) if v is not None]
        result["variants"] = len(variants)
        result["variants_caught"] = sum(dropped[i] for i in variants)
    if engine == "germinate" and nightly:
        result["index"] = _index_lifecycle(texts, dropped, rule, seed, nightly)
    out.write_text(json.dumps(result))


def _index_lifecycle(texts, dropped, rule, seed: int, nightly: int) -> dict:
    """The pool index of the kept texts: rebuild vs save/load, and one nightly batch."""
    from filters.index import PoolIndex

    kept = [t for t, d in zip(texts, dropped) if not d]
    t0 = time.perf_counter()
    index = PoolIndex.build(kept, rule.threshold, rule.exact_max_pool)
    build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pool_index"
        t0 = time.perf_counter()
        index.save(path)
        save = time.perf_counter() - t0
        disk = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
        t0 = time.perf_counter()
        index = PoolIndex.load(path, rule.threshold, rule.exact_max_pool)
        load = time.perf_counter() - t0
    batch = instructions(nightly, seed + 1)
    t0 = time.perf_counter()
    verdicts = index.admit(batch)
    admit = time.perf_counter() - t0
    return {
        "pool": len(kept), "build": build, "save": save, "load": load, "disk_mib": disk,
        "batch": nightly, "batch_admit": admit, "batch_kept": sum(v[2] for v in verdicts),
    }


def measure(engine: str, n: int, seed: int, nightly: int = 0, exact_max_pool: int | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, "--child", engine, "--sizes", str(n), "--seed", str(seed),
               "--out", str(out), "--nightly", str(nightly)]
        if exact_max_pool is not None:
            cmd += ["--exact-max-pool", str(exact_max_pool)]
        subprocess.run(cmd, check=True)
        return json.loads(out.read_text())


# --- report --------------------------------------------------------------------------------


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for pkg in ("rapidfuzz", "scipy", "numpy", "rouge-score", "datasketch"):
        try:
            found.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


def recall_precision(dropped: set[int], reference: set[int]) -> tuple[float, float]:
    hit = len(dropped & reference)
    return (hit / len(reference) if reference else 1.0, hit / len(dropped) if dropped else 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000,20000,100000")
    ap.add_argument("--big", action="store_true", help="add 500,000")
    ap.add_argument("--baseline-max", type=int, default=2000, help="largest size for the rouge-score loop")
    ap.add_argument("--exhaustive-max", type=int, default=100_000,
                    help="largest size scored exhaustively (germinate's exact path) as the reference")
    ap.add_argument("--minhash", action="store_true", help="also run datasketch MinHash LSH blocking")
    ap.add_argument("--nightly", type=int, default=1000,
                    help="after dedup, a batch this size vs the saved index (0: skip)")
    ap.add_argument("--exact-max-pool", type=int, default=None,
                    help="germinate's switch to blocking (default: NearDuplicateRule's)")
    ap.add_argument("--korean-sizes", default="2000,20000",
                    help="sizes of the Korean rows (germinate-ko vs exhaustive-ko vs words-ko); '' for none")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.child:
        child(args.child, sizes[0], args.seed, args.out, args.nightly, args.exact_max_pool)
        return
    if args.big and 500_000 not in sizes:
        sizes.append(500_000)

    print(f"machine: {machine()}")
    print(f"packages: {versions()}")
    from core.config import NearDuplicateRule
    from filters.blocking import SHARED

    rule = NearDuplicateRule()
    emp = rule.exact_max_pool if args.exact_max_pool is None else args.exact_max_pool
    print(f"germinate: threshold {rule.threshold}, exact_max_pool {emp:,}, blocking shared={SHARED}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (a busy machine inflates wall times)")
    rows, speedups, lifecycle = [], [], []
    for n in sizes:
        results = {}
        if n <= args.baseline_max:
            results["rouge-loop"] = measure("rouge-loop", n, args.seed)
        elif n <= args.exhaustive_max:
            results["exhaustive"] = measure("exhaustive", n, args.seed)
        results["germinate"] = measure("germinate", n, args.seed, args.nightly, args.exact_max_pool)
        if args.minhash:
            results["minhash-lsh"] = measure("minhash-lsh", n, args.seed)
        ref_name = next((k for k in ("rouge-loop", "exhaustive") if k in results), None)
        reference = set(results[ref_name]["dropped"]) if ref_name else None
        for name, r in results.items():
            dropped = set(r["dropped"])
            rec = prec = None
            if reference is not None and name != ref_name:
                rec, prec = recall_precision(dropped, reference)
            rows.append((n, name, r["wall"], r["cpu"], r["rss_peak"], r["rss_peak"] - r["rss_before"],
                         n - len(dropped), len(dropped), rec, prec, ref_name if rec is not None else "-"))
            print(f"  done: n={n} {name} {r['wall']:.2f}s", file=sys.stderr, flush=True)
        if "rouge-loop" in results:
            b, g = results["rouge-loop"], results["germinate"]
            speedups.append((n, b["wall"] / g["wall"], b["cpu"] / g["cpu"]))
        if "index" in results["germinate"]:
            lifecycle.append((n, results["germinate"]["index"]))

    print()
    print("| n | engine | wall s | cpu s | peak RSS MiB | RSS added MiB | kept | dropped | recall | precision | reference |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    fmt = lambda x: "-" if x is None else f"{x:.4f}"  # noqa: E731
    for n, name, wall, cpu, rss, added, kept, dropped, rec, prec, ref in rows:
        print(f"| {n:,} | {name} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {added:.0f} | {kept:,} | {dropped:,} | {fmt(rec)} | {fmt(prec)} | {ref} |")
    if speedups:
        print()
        print("| n | germinate speed-up, wall | speed-up, cpu |")
        print("|---:|---:|---:|")
        for n, wall, cpu in speedups:
            print(f"| {n:,} | {wall:.0f}x | {cpu:.0f}x |")
    if lifecycle:
        print()
        print("| n | kept pool | rebuild index s | save s | load s | on disk MiB | nightly batch | admit batch s | batch kept |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n, x in lifecycle:
            print(f"| {n:,} | {x['pool']:,} | {x['build']:.2f} | {x['save']:.2f} | {x['load']:.2f} | {x['disk_mib']:.1f} | {x['batch']:,} | {x['batch_admit']:.2f} | {x['batch_kept']:,} |")
    korean = [int(s) for s in args.korean_sizes.split(",") if s]
    if korean:
        korean_table(korean, args.seed, args.exact_max_pool)
    print()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def korean_table(sizes: list[int], seed: int, exact_max_pool: int | None) -> None:
    """Korean rows: the Korean view (blocked and exhaustive) and the old word view."""
    print()
    print("| n | engine | wall s | cpu s | peak RSS MiB | kept | dropped | recall | precision | variants caught |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        results = {e: measure(e, n, seed, 0, exact_max_pool) for e in ("exhaustive-ko", "germinate-ko", "words-ko")}
        reference = set(results["exhaustive-ko"]["dropped"])
        for name, r in results.items():
            dropped = set(r["dropped"])
            rec, prec = recall_precision(dropped, reference) if name != "exhaustive-ko" else (None, None)
            fmt = "-" if rec is None else f"{rec:.4f}"
            fmp = "-" if prec is None else f"{prec:.4f}"
            caught = f"{r['variants_caught']:,}/{r['variants']:,} ({r['variants_caught'] / r['variants']:.1%})"
            print(f"| {n:,} | {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_peak']:.0f} | {n - len(dropped):,} "
                  f"| {len(dropped):,} | {fmt} | {fmp} | {caught} |", flush=True)
            print(f"  done: n={n} {name} {r['wall']:.2f}s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
