"""Which examples a Self-Instruct request shows: the rule that keeps a growing pool finding new things.

Self-Instruct (Wang et al. 2022) shows 6 human seed tasks and 2 machine tasks per request, drawn
uniformly. Night after night that shows the teacher the same kinds of task in the same
proportions, and a small teacher answers with the kinds it has already written: the pool's
duplicate rule then drops them, and the yield falls (issue 17). The `novelty` rule shifts the
draw towards what the pool lacks, by task *kind*: the (verb, object) pair of
`core.verb_object` (the report's diversity view); an instruction without an imperative verb
("Is this review ...", "What is ...") takes its first word as the verb, with no object.

- seed tasks: weight 1 / (1 + accepted rows with the seed's verb + accepted rows with its
  verb and object), drawn without replacement (Efraimidis-Spirakis keys). A seed whose verb the
  pool has 20 rows of is shown about a twentieth as often as one whose verb it has none of;
  matching the object as well counts twice.
- machine tasks (accepted rows: the pool as the run found it, then this run's kept rows):
  distinct verbs drawn uniformly, then one of that verb's objects uniformly, then one row of
  that pair, so a verb the pool holds once is shown as often as one it holds a hundred times,
  and two examples of one request never share a verb.

Both are pure functions of (the seeds, the accepted rows in order, the request's RNG), so a
resumed run that rebuilds the same accepted list rebuilds the same requests. The `uniform` rule
is the paper's: `random.sample` from the seeds and from the machine list as given.
Prompt builders of every teacher mode call `draw_examples`; they decide only how to show them.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.records import SeedTask
from core.verb_object import verb_noun

Kind = tuple[str, str]
NOVELTY, UNIFORM = "novelty", "uniform"


def task_kind(instruction: str) -> Kind:
    """The kind of task an instruction asks for: (verb, object), (verb, "") without an object,
    or (first word lowercased, "") when no imperative verb is found."""
    pair = verb_noun(instruction)
    if pair is not None:
        return pair[0], pair[1] or ""
    words = instruction.split()
    return (words[0].lower().strip(".,:;!?\"'") if words else ""), ""


@dataclass
class ExampleStock:
    """What requests may show: the seeds, and the accepted machine rows grouped by kind.

    Build it once per round (`ExampleStock.build`): the kinds are computed once, and every
    request of the round draws from the same stock.
    """

    seeds: list[SeedTask]
    machine: list[str]
    verbs: Counter = field(default_factory=Counter)  # accepted rows per verb
    pairs: Counter = field(default_factory=Counter)  # accepted rows per (verb, object)
    by_verb: dict[str, dict[Kind, list[int]]] = field(default_factory=dict)  # verb -> pair -> rows, in order
    seed_kinds: list[Kind] = field(default_factory=list)

    @classmethod
    def build(cls, seeds: Sequence[SeedTask], machine: Sequence[str], rule: str = NOVELTY) -> "ExampleStock":
        """The stock for `rule`; only `novelty` needs the kinds."""
        if rule == UNIFORM:
            return cls(list(seeds), list(machine))
        by_verb: dict[str, dict[Kind, list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, text in enumerate(machine):
            kind = task_kind(text)
            by_verb[kind[0]][kind].append(i)
        pairs = Counter({k: len(rows) for group in by_verb.values() for k, rows in group.items()})
        verbs = Counter({v: sum(len(rows) for rows in group.values()) for v, group in by_verb.items()})
        return cls(list(seeds), list(machine), verbs, pairs, {v: dict(g) for v, g in by_verb.items()},
                   [task_kind(s.instruction) for s in seeds])

    def seed_weights(self) -> list[float]:
        """1 / (1 + accepted rows with each seed's verb + those with its verb and object)."""
        return [1.0 / (1 + self.verbs[k[0]] + self.pairs[k]) for k in self.seed_kinds]


def weighted_sample(rng: random.Random, weights: Sequence[float], k: int) -> list[int]:
    """k distinct indices, each drawn with probability proportional to its weight among those
    not yet drawn (Efraimidis & Spirakis 2006: the k largest u ** (1 / w)), in the order drawn."""
    keys = [math.log(rng.random() or 1e-300) / w for w in weights]  # log(u ** (1/w)), no underflow
    return sorted(range(len(keys)), key=lambda i: (-keys[i], i))[:k]


def draw_examples(stock: ExampleStock, rng: random.Random, n_seed: int, n_machine: int,
                  rule: str = NOVELTY) -> tuple[list[SeedTask], list[str]]:
    """(seed tasks, machine instructions) for one request, by `rule` (`novelty` or `uniform`),
    each in the random order drawn (the prompt numbers them in that order, as the paper's did).

    Under `novelty`, when the accepted rows have fewer verbs than `n_machine`, the rest are
    drawn uniformly from the rows not shown yet.
    """
    n_seed, n_machine = min(n_seed, len(stock.seeds)), min(n_machine, len(stock.machine))
    if rule == UNIFORM:
        return rng.sample(stock.seeds, n_seed), rng.sample(stock.machine, n_machine)
    if rule != NOVELTY:
        raise ValueError(f"unknown example sampling rule '{rule}'")
    seeds = [stock.seeds[i] for i in weighted_sample(rng, stock.seed_weights(), n_seed)]
    verbs = rng.sample(list(stock.by_verb), min(n_machine, len(stock.by_verb)))
    picked = []
    for verb in verbs:
        group = stock.by_verb[verb]
        picked.append(rng.choice(group[rng.choice(list(group))]))
    if len(picked) < n_machine:
        shown = set(picked)
        picked += rng.sample([i for i in range(len(stock.machine)) if i not in shown], n_machine - len(picked))
    return seeds, [stock.machine[i] for i in picked]
