"""Curation: every candidate in, one ledger row out, kept or dropped with all its reasons.

Order of work for each candidate, in the order given (so the result is deterministic):
1. the per-example checks (`filters.checks.CHECKS`), then the quality signals' reasons from
   the row's stored scores (`filters.quality`);
2. duplicates against the existing pool and the EARLIER KEPT candidates of this batch:
   `exact_duplicate` (same text after `normalize`), else `near_duplicate` when token
   ROUGE-L is strictly greater than cfg.near_duplicate.threshold (Self-Instruct's rule);
3. `eval_overlap` with the held-out eval set (`filters.decontaminate`), then
   `copies_seed_example`: a seed instance's text pasted under another task (`filters.seed_copy`).
Only kept candidates join the comparison set, as in Self-Instruct's bootstrapping loop.
Dropped rows are returned, not discarded, so the ledger explains every decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.config import CurateConfig
from core.records import Candidate, LedgerRow, SeedTask
from core.records import similarity_text as records_similarity_text
from core.text import normalize
from filters.admission import BATCH, PRIOR, admit_in_order
from filters.blocking import PrefixBlocker
from filters.checks import CHECK_REASONS, check_all
from filters.decontaminate import REASON as EVAL_OVERLAP
from filters.decontaminate import EvalIndex
from filters.index import PoolIndex
from filters.quality import QUALITY_REASONS, quality_reasons, statistical_scores
from filters.seed_copy import REASON as SEED_COPY
from filters.seed_copy import SeedCopyIndex
from filters.similarity import TokenEncoder, nearest

EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"


def similarity_text(c: Candidate, cfg: CurateConfig) -> str:
    """What duplicates are judged on (`core.records.similarity_text`) for one candidate."""
    return records_similarity_text(c.instruction, c.input, cfg.near_duplicate.include_input)


@dataclass(frozen=True)
class RowFacts:
    """What can be learned about one candidate without looking at the rest of its batch.

    This is the expensive, embarrassingly parallel part of curation (checks, scoring against
    the whole pool, eval overlap), so `row_facts` can run on shards on different workers;
    `curate` then makes the order-dependent decisions in one pass.
    """

    reasons: tuple[str, ...]  # from the per-example checks
    pool_best: tuple[int | None, float] | None  # nearest pool entry; None when unparseable
    eval_overlap: str | None  # id of an eval task it overlaps
    # Quality scores: the statistical ones from `row_facts`, the model ones added by the flow.
    scores: Mapping[str, float] = field(default_factory=dict)
    seed_copy: str | None = None  # '<seed id> input|output|label' it copies (`filters.seed_copy`)


def with_scores(facts: Sequence[RowFacts], extra: Sequence[Mapping[str, float]]) -> list[RowFacts]:
    """`facts` with more scores per row (the model signals' scores, computed once per curation)."""
    if len(facts) != len(extra):
        raise ValueError(f"{len(extra)} score rows for {len(facts)} row facts")
    return [replace(f, scores={**f.scores, **e}) if e else f for f, e in zip(facts, extra)]


def row_facts(
    candidates: Sequence[Candidate],
    cfg: CurateConfig,
    pool_texts: Sequence[str] = (),
    eval_tasks: Sequence[SeedTask] = (),
    index: PoolIndex | None = None,
    seed_tasks: Sequence[SeedTask] = (),
) -> list[RowFacts]:
    """`RowFacts` for each candidate; independent per row, so shards give the same result.

    The pool is `pool_texts` followed, when given, by the texts of the persisted `index`
    (positions continue after `pool_texts`), so the big side need not be re-encoded.
    `seed_tasks` are the tasks the candidates were grown from (with their instances), for
    `copies_seed_example`; imported data (`curate --input`) has none.
    """
    eval_index = EvalIndex.from_config(eval_tasks, cfg) if eval_tasks else None
    seed_index = SeedCopyIndex(seed_tasks, cfg.seed_copy.threshold) \
        if seed_tasks and cfg.seed_copy.enabled else None
    texts = [similarity_text(c, cfg) for c in candidates]
    parseable = [i for i, c in enumerate(candidates) if not c.parse_error]
    queries = [texts[i] for i in parseable]
    nd = cfg.near_duplicate
    # The pool is the big side (everything kept in earlier runs), so the whole batch is
    # scored against it at once with the chunked, multi-core cdist (blocked past
    # exact_max_pool, exact for every pair that could pass the configured threshold).
    best = nearest(queries, list(pool_texts), threshold=nd.threshold, exact_max_pool=nd.exact_max_pool)
    if index is not None and len(index):
        offset = len(pool_texts)
        for q, (j, score) in enumerate(index.nearest(queries)):
            # Strictly greater: on a tie the earlier text (in pool_texts) stays.
            if j is not None and score > best[q][1]:
                best[q] = (offset + j, score)
    by_row = dict(zip(parseable, best))
    return [
        RowFacts(
            reasons=tuple(check_all(c, cfg)),
            pool_best=by_row.get(i),
            eval_overlap=eval_index.overlap(c) if eval_index is not None and not c.parse_error else None,
            scores=statistical_scores(c),
            seed_copy=seed_index.copied(c) if seed_index is not None and not c.parse_error else None,
        )
        for i, c in enumerate(candidates)
    ]


def curate(
    candidates: list[Candidate],
    cfg: CurateConfig,
    pool: Sequence[tuple[str, str]] = (),
    eval_tasks: Sequence[SeedTask] = (),
    facts: Sequence[RowFacts] | None = None,
    seed_tasks: Sequence[SeedTask] = (),
) -> list[LedgerRow]:
    """One ledger row per candidate, in order; `pool` is (id, text) of instructions kept before.

    `facts` are `row_facts` computed elsewhere (e.g. in shards on Dask workers); without
    them they are computed here (`seed_tasks` as `row_facts` takes them). Every parseable
    candidate records its most similar earlier text (similarity, neighbour_id,
    neighbour_text) even when other checks already drop it, so the threshold can be
    re-applied to the ledger later without regenerating anything.
    """
    pool = list(pool)
    if facts is None:
        facts = row_facts(candidates, cfg, [t for _, t in pool], eval_tasks, seed_tasks=seed_tasks)
    if len(facts) != len(candidates):
        raise ValueError(f"{len(facts)} row facts for {len(candidates)} candidates")
    pool_keys: dict[str, int] = {}
    for j, (_, text) in enumerate(pool):
        pool_keys.setdefault(normalize(text), j)
    texts = [similarity_text(c, cfg) for c in candidates]
    keys = [normalize(t) for t in texts]
    in_pool = [not c.parse_error and bool(k) and k in pool_keys for c, k in zip(candidates, keys)]
    row_reasons = [[*f.reasons, *quality_reasons(f.scores, cfg.quality)] for f in facts]
    # Facts computed under other settings (a bench's shared facts) follow this config's switch.
    copies = [f.seed_copy is not None and cfg.seed_copy.enabled for f in facts]
    # Only a row with no other reason can join the comparison set, as in Self-Instruct's loop.
    eligible = [not c.parse_error and not r and f.eval_overlap is None and not s and not p
                for c, f, r, s, p in zip(candidates, facts, row_reasons, copies, in_pool)]
    encoder = TokenEncoder()
    codes = [encoder.encode(t) for t in texts]
    verdicts = admit_in_order(codes, [f.pool_best or (None, 0.0) for f in facts], eligible,
                              cfg.near_duplicate.threshold, keys=keys, pairs=_batch_pairs(codes, cfg))
    rows: list[LedgerRow] = []
    for i, c in enumerate(candidates):
        fact, verdict = facts[i], verdicts[i]
        reasons = row_reasons[i]
        meta = dict(c.meta)
        similarity = neighbour = None
        if not c.parse_error:
            if in_pool[i]:
                neighbour, similarity = pool[pool_keys[keys[i]]], 1.0
                reasons.append(EXACT_DUPLICATE)
            else:
                similarity = verdict.score
                if verdict.source == BATCH:
                    k = verdict.neighbour
                    neighbour = (candidates[k].id, texts[k])
                elif verdict.source == PRIOR:
                    neighbour = pool[verdict.neighbour]
                if verdict.exact:
                    reasons.append(EXACT_DUPLICATE)
                elif similarity > cfg.near_duplicate.threshold:
                    reasons.append(NEAR_DUPLICATE)
            if fact.eval_overlap is not None:
                reasons.append(EVAL_OVERLAP)
                meta["eval_overlap"] = fact.eval_overlap  # which eval task, for auditing
            if copies[i]:
                reasons.append(SEED_COPY)
                meta["seed_copy"] = fact.seed_copy  # which seed, and what was copied
        rows.append(
            LedgerRow(
                **c.model_dump(exclude={"meta"}),
                meta=meta,
                verdict="dropped" if reasons else "kept",
                reasons=reasons,
                similarity=similarity,
                neighbour_id=neighbour[0] if neighbour else None,
                neighbour_text=neighbour[1] if neighbour else None,
                scores=dict(fact.scores),
            )
        )
    return rows


def _batch_pairs(codes: Sequence[str], cfg: CurateConfig):
    """Blocking's candidate pairs within a batch too big to score every pair (`curate --input`
    of a large file); None (score them all) up to `near_duplicate.exact_max_pool`."""
    nd = cfg.near_duplicate
    if len(codes) <= nd.exact_max_pool or not 0.0 < nd.threshold < 1.0:
        return None
    blocker = PrefixBlocker(nd.threshold)
    blocker.register(codes)
    return blocker.self_candidates(blocker.prefixes(codes))


# Every reason curation can give, in the order a row lists them (checks first, in CHECKS
# order, then the quality signals', then the set-level steps). Orders drop counts for reports.
REASONS: tuple[str, ...] = (
    *CHECK_REASONS,
    *QUALITY_REASONS,
    EXACT_DUPLICATE,
    NEAR_DUPLICATE,
    EVAL_OVERLAP,
    SEED_COPY,
)


def drop_counts(rows: Sequence[LedgerRow]) -> dict[str, int]:
    """How many rows each reason dropped; a row with two reasons counts under both.

    Ordered as the pipeline applies the reasons (unknown ones last, alphabetically).
    """
    counts = Counter(reason for row in rows for reason in row.reasons)
    order = {reason: i for i, reason in enumerate(REASONS)}
    return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def check_invariant(candidates: Sequence[Candidate], rows: Sequence[LedgerRow]) -> None:
    """Raise ValueError unless rows match candidates one-to-one and verdicts match reasons.

    Nothing may be lost or invented between generation and the ledger: same count, same ids
    in the same order, every dropped row says why and no kept row carries a reason.
    """
    if len(candidates) != len(rows):
        raise ValueError(f"{len(candidates)} candidates but {len(rows)} ledger rows")
    for c, row in zip(candidates, rows):
        if c.id != row.id:
            raise ValueError(f"ledger row '{row.id}' is in the place of candidate '{c.id}'")
        if row.verdict == "dropped" and not row.reasons:
            raise ValueError(f"ledger row '{row.id}' is dropped without a reason")
        if row.verdict == "kept" and row.reasons:
            raise ValueError(f"ledger row '{row.id}' is kept but has reasons {row.reasons}")
