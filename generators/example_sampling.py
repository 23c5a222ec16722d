"""Which examples a Self-Instruct request shows: the rule that keeps a growing pool finding new things.

Self-Instruct (Wang et al. 2022) shows 6 human seed tasks and 2 machine tasks per request, drawn
uniformly. Night after night that shows the teacher the same kinds of task in the same
proportions, and a small teacher answers with the kinds it has already written: the pool's
duplicate rule then drops them, and the yield falls (issue 17). The `novelty` rule shifts the
draw towards what the pool lacks, by task *kind*: the (verb, object) pair of
`core.verb_object` (the report's diversity view). Instructions the heuristic finds no imperative
verb in (questions, and the garbage a weak teacher writes) share one kind, ("", "").

1. One language per request: the first seed is drawn by weight (below) from all seeds, and the
   request takes its language (`core.language`); the other seeds and the machine rows come
   from that language only. Requests in a language are then about as frequent as its share of
   the seeds' weight, and a language the pool already has much of is asked for less. The paper
   is monolingual; a prompt that mixes languages asks a small teacher for two at once, and the
   embedded one then writes broken Hangul into its English tasks too (measured: every one of
   16 mixed requests of a default night came back garbage).
2. Seed tasks: weight 1 / (1 + accepted rows with the seed's verb + accepted rows with its
   verb and object), drawn without replacement (Efraimidis-Spirakis keys). A seed whose verb
   the pool has 20 rows of is shown about a twentieth as often as one whose verb it has none
   of; matching the object as well counts twice.
3. Machine tasks (accepted rows: the pool as the run found it, then this run's kept rows):
   distinct verbs drawn uniformly, then one of that verb's objects uniformly, then one row of
   that pair, so a verb the pool holds once is shown as often as one it holds a hundred times,
   and two examples of one request never share a verb.

All of it is a pure function of (the seeds, the accepted rows in order, the request's RNG), so
a resumed run that rebuilds the same accepted list rebuilds the same requests. The `uniform`
rule is the paper's: `random.sample` from the seeds and from the machine list as given.
Prompt builders of every teacher mode call `draw_examples`; they decide only how to show them.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.language import detect_language
from core.records import SeedTask
from core.verb_object import verb_noun

Kind = tuple[str, str]
OTHER: Kind = ("", "")
NOVELTY, UNIFORM = "novelty", "uniform"


def task_kind(instruction: str) -> Kind:
    """The kind of task an instruction asks for: (verb, object), (verb, "") without an object,
    or OTHER when no imperative verb is found."""
    pair = verb_noun(instruction)
    return (pair[0], pair[1] or "") if pair is not None else OTHER


def language(text: str) -> str:
    """The language a text is written in (`core.language`), "" when it has no letters."""
    return detect_language(text) or ""


@dataclass
class ExampleStock:
    """What requests may show: the seeds, and the accepted machine rows grouped by language,
    verb and kind.

    Build it once per round (`ExampleStock.build`): kinds and languages are computed once, and
    every request of the round draws from the same stock.
    """

    seeds: list[SeedTask]
    machine: list[str]
    verbs: Counter = field(default_factory=Counter)  # accepted rows per verb
    pairs: Counter = field(default_factory=Counter)  # accepted rows per (verb, object)
    # language -> verb -> kind -> machine indices, each level in first-seen order
    groups: dict[str, dict[str, dict[Kind, list[int]]]] = field(default_factory=dict)
    seed_kinds: list[Kind] = field(default_factory=list)
    seed_languages: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, seeds: Sequence[SeedTask], machine: Sequence[str], rule: str = NOVELTY) -> "ExampleStock":
        """The stock for `rule`; only `novelty` needs kinds and languages."""
        if rule == UNIFORM:
            return cls(list(seeds), list(machine))
        groups: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        verbs, pairs = Counter(), Counter()
        for i, text in enumerate(machine):
            kind = task_kind(text)
            groups[language(text)][kind[0]][kind].append(i)
            verbs[kind[0]] += 1
            pairs[kind] += 1
        plain = {lang: {v: dict(kinds) for v, kinds in by_verb.items()} for lang, by_verb in groups.items()}
        return cls(list(seeds), list(machine), verbs, pairs, plain,
                   [task_kind(s.instruction) for s in seeds], [language(s.instruction) for s in seeds])

    def seed_weights(self) -> list[float]:
        """1 / (1 + accepted rows with each seed's verb + those with its verb and object)."""
        return [1.0 / (1 + self.verbs[k[0]] + self.pairs[k]) for k in self.seed_kinds]


def weighted_sample(rng: random.Random, weights: Sequence[float], k: int) -> list[int]:
    """k distinct indices, each drawn with probability proportional to its weight among those
    not yet drawn (Efraimidis & Spirakis 2006: the k largest u ** (1 / w)), in the order drawn."""
    keys = [math.log(rng.random() or 1e-300) / w for w in weights]  # log(u ** (1/w)), no underflow
    return sorted(range(len(keys)), key=lambda i: (-keys[i], i))[:k]


def _machine_rows(stock: ExampleStock, lang: str, rng: random.Random, n: int) -> list[int]:
    """`n` machine rows of language `lang`: distinct verbs uniformly, then a kind, then a row;
    topped up uniformly from the rest of that language's rows when it has fewer verbs."""
    by_verb = stock.groups.get(lang, {})
    picked = []
    for verb in rng.sample(list(by_verb), min(n, len(by_verb))):
        kinds = by_verb[verb]
        picked.append(rng.choice(kinds[rng.choice(list(kinds))]))
    if len(picked) < n:
        shown = set(picked)
        rest = [i for kinds in by_verb.values() for rows in kinds.values() for i in rows if i not in shown]
        picked += rng.sample(sorted(rest), min(n - len(picked), len(rest)))
    return picked


def draw_examples(stock: ExampleStock, rng: random.Random, n_seed: int, n_machine: int,
                  rule: str = NOVELTY) -> tuple[list[SeedTask], list[str]]:
    """(seed tasks, machine instructions) for one request, by `rule` (`novelty` or `uniform`),
    each in the random order drawn (the prompt numbers them in that order, as the paper's did).

    Under `novelty` every example is in the language of the first seed drawn, so a request
    shows fewer examples when that language has fewer seeds or machine rows than asked for.
    """
    if rule == UNIFORM:
        n_seed, n_machine = min(n_seed, len(stock.seeds)), min(n_machine, len(stock.machine))
        return rng.sample(stock.seeds, n_seed), rng.sample(stock.machine, n_machine)
    if rule != NOVELTY:
        raise ValueError(f"unknown example sampling rule '{rule}'")
    if not stock.seeds:
        return [], []
    weights = stock.seed_weights()
    (first,) = weighted_sample(rng, weights, 1)
    lang = stock.seed_languages[first]
    same = [i for i, seed_lang in enumerate(stock.seed_languages) if seed_lang == lang and i != first]
    rest = [same[j] for j in weighted_sample(rng, [weights[i] for i in same], max(0, n_seed - 1))]
    machine = _machine_rows(stock, lang, rng, n_machine)
    return [stock.seeds[i] for i in [first, *rest][:n_seed]], [stock.machine[i] for i in machine]
