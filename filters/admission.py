"""Self-Instruct's admission rule, in one place: a new text is admitted only if its token ROUGE-L
with every earlier text is <= the threshold, and admitted texts become "earlier" for the rest.

Wang et al. (2022) run it one instruction at a time against everything kept so far. Here the
expensive half (each text against what existed before the batch: pool, seeds, the persisted
index) comes in as `prior`, computed in bulk or in shards; `admit_in_order` then walks the batch
in order against the texts it admitted. `curate` (every run) and `PoolIndex.admit` (the
benchmark's path at 100k+) both call it, so the rule cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import scipy.sparse as sp

from filters.similarity import best_match

# Where a text's nearest neighbour lives: before the batch (`prior`'s index) or in the batch.
PRIOR, BATCH = "prior", "batch"


class Admission(NamedTuple):
    source: str | None  # PRIOR, BATCH, or None when nothing shares a word with the text
    neighbour: int | None  # prior's index, or the batch offset of an earlier admitted text
    score: float  # ROUGE-L with that neighbour (1.0 for an exact duplicate)
    admitted: bool
    exact: bool  # same key as an earlier admitted text of the batch


def admit_in_order(
    codes: Sequence[str],
    prior: Sequence[tuple[int | None, float]],
    eligible: Sequence[bool],
    threshold: float,
    keys: Sequence[str] | None = None,
    pairs: sp.csr_matrix | None = None,
) -> list[Admission]:
    """Walk the batch in order; text i is admitted when `eligible[i]` and its best score is
    <= `threshold`.

    - `codes`: the batch's texts encoded by one `TokenEncoder`;
    - `prior`: (index, score) of each text's nearest earlier text outside the batch;
    - `keys`: exact-duplicate keys (`core.text.normalize`); a text whose key an earlier
      *admitted* text has is an exact duplicate of it, whatever its score;
    - `pairs`: blocking's candidate pairs (row i lists the j < i worth scoring,
      `PrefixBlocker.self_candidates`); None scores every earlier admitted text.
    On a tie the earlier neighbour stays: prior before batch, lower offsets first.
    """
    if not len(codes) == len(prior) == len(eligible):
        raise ValueError(f"{len(codes)} texts, {len(prior)} prior matches, {len(eligible)} eligible flags")
    admitted: list[int] = []
    is_admitted: set[int] = set()
    first_with_key: dict[str, int] = {}
    out: list[Admission] = []
    for i, code in enumerate(codes):
        key = keys[i] if keys is not None else ""
        if key and key in first_with_key:
            out.append(Admission(BATCH, first_with_key[key], 1.0, False, True))
            continue
        if pairs is None:
            earlier = admitted
        else:
            candidates = pairs.indices[pairs.indptr[i] : pairs.indptr[i + 1]].tolist()
            earlier = [e for e in candidates if e in is_admitted]
        j, score = prior[i]
        source = None if j is None else PRIOR
        k, batch_score = best_match(code, [codes[e] for e in earlier])
        # Strictly greater: on a tie the text from before the batch, which came first, stays.
        if k is not None and batch_score > score:
            source, j, score = BATCH, earlier[k], batch_score
        ok = bool(eligible[i]) and score <= threshold
        if ok:
            admitted.append(i)
            is_admitted.add(i)
            if key:
                first_with_key.setdefault(key, i)
        out.append(Admission(source, j, score, ok, False))
    return out
