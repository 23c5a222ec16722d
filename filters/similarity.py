"""Near-duplicate scoring: token-level ROUGE-L F1, computed exactly and fast.

Self-Instruct (Wang et al. 2022) keeps a new instruction only if its ROUGE-L with every
earlier instruction is <= 0.7. ROUGE-L F1 with beta=1 between token sequences a and b is

    F1 = 2 * P * R / (P + R),  P = LCS/len(a), R = LCS/len(b)  =>  F1 = 2*LCS / (len(a)+len(b))

which is exactly the normalised Indel similarity 1 - (len(a)+len(b)-2*LCS)/(len(a)+len(b)).
rapidfuzz computes Indel in C++ over characters, so we map each distinct token to one
character (`TokenEncoder`) and let `process.cdist` score whole matrices on all cores.

So the default threshold 0.7 (`CurateConfig.near_duplicate.threshold`) is Self-Instruct's
own number applied to the same quantity: token-level ROUGE-L F1, no stemming. The tokens
are `core.text.similarity_tokens`: for text without Hangul its Unicode-aware words, where
rouge-score's default tokenizer keeps only [a-z0-9] and turns Korean text into empty
strings (every pair of Korean instructions would then score 0 and never be deduplicated);
for Hangul text a sorted bag of content morphemes and syllable bigrams, whose LCS is the
shared multiset, so the same 2*LCS/(m+n) is their Dice overlap (validated at 0.7 on
hand-labelled Korean pairs).

At scale (past `NearDuplicateRule.exact_max_pool` earlier texts) only the pairs that
`filters.blocking` finds could pass the threshold are scored; that blocking is exact, so
the drops do not change. `filters.index.PoolIndex` keeps it between runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from core.errors import GerminateError
from core.text import similarity_tokens
from filters.blocking import PrefixBlocker, Prefixes

# Token codes are opaque symbols that never leave this module, so any code points will do
# as long as they are valid characters. Starting low keeps vocabularies below ~63k tokens
# in 2-byte strings (faster in rapidfuzz); the UTF-16 surrogate block is not a valid
# character range and is skipped.
_FIRST_CODE = 0x100
_SURROGATES = (0xD800, 0xDFFF)
_MAX_TOKENS = 0x110000 - _FIRST_CODE - (_SURROGATES[1] - _SURROGATES[0] + 1)


class TokenEncoder:
    """Maps each distinct word token to one character, so a text becomes a short string.

    Two texts must be encoded by the same encoder to be compared: the vocabulary is shared
    and grows as new tokens are seen.
    """

    def __init__(self) -> None:
        self.vocab: dict[str, str] = {}

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> "TokenEncoder":
        """The encoder that has seen `tokens` in this order (`list(encoder.vocab)` round-trips)."""
        encoder = cls()
        for token in tokens:
            encoder._code(token)
        return encoder

    def _code(self, token: str) -> str:
        code = self.vocab.get(token)
        if code is None:
            i = len(self.vocab)
            if i >= _MAX_TOKENS:
                raise GerminateError(
                    f"too many distinct words to compare ({i}); deduplicate in smaller batches"
                )
            cp = _FIRST_CODE + i
            if cp >= _SURROGATES[0]:
                cp += _SURROGATES[1] - _SURROGATES[0] + 1
            code = self.vocab[token] = chr(cp)
        return code

    def encode(self, text: str) -> str:
        """One character per token of `text` (`core.text.similarity_tokens`: its words, or for
        Hangul text the sorted bag of its morphemes and syllable bigrams)."""
        tokens = similarity_tokens(text)
        try:  # every token already known: the common case, one dict lookup each
            return "".join([self.vocab[token] for token in tokens])
        except KeyError:
            return "".join([self._code(token) for token in tokens])


def rouge_l(a: str, b: str) -> float:
    """Token-level ROUGE-L F1 (beta=1, no stemming) between two texts; 0.0 if either is empty."""
    encoder = TokenEncoder()
    ca, cb = encoder.encode(a), encoder.encode(b)
    if not ca or not cb:
        return 0.0
    return Indel.normalized_similarity(ca, cb)


def best_match(query: str, codes: Sequence[str]) -> tuple[int | None, float]:
    """Index and score of the encoded text in `codes` most similar to encoded `query`.

    Ties go to the lowest index. An empty query shares no token with anything, so it gets
    (None, 0.0) rather than matching other empty texts with Indel's 1.0.
    """
    if not query or not codes:
        return None, 0.0
    # One query against a list: cdist prepares the query once and is ~1.5x faster per
    # candidate than extractOne. argmax returns the first of equal scores.
    scores = process.cdist(
        [query], codes, scorer=Indel.normalized_similarity, dtype=np.float64, workers=1
    )[0]
    k = int(scores.argmax())
    if scores[k] <= 0.0:
        return None, 0.0
    return k, float(scores[k])


def nearest(
    queries: list[str],
    corpus: list[str],
    chunk: int = 2048,
    score_cutoff: float = 0.0,
    *,
    threshold: float,
    exact_max_pool: int,
) -> list[tuple[int | None, float]]:
    """For each query, the index of the most similar corpus text and its ROUGE-L F1.

    Up to `exact_max_pool` corpus texts every pair is scored (`nearest_exact`). Past that,
    only the pairs that blocking says could score above `threshold` are (`nearest_blocked`):
    a query whose best score is above `threshold` gets exactly the same answer, one below
    it gets the best of the pairs scored (possibly (None, 0.0)), a lower bound on the truth.
    Ties go to the lowest corpus index. A query with no similar entry (empty corpus, no
    shared token, or a best score below `score_cutoff`) gets (None, 0.0).
    """
    if chunk < 1:
        raise ValueError("chunk must be >= 1")
    encoder = TokenEncoder()
    q_codes = [encoder.encode(q) for q in queries]
    c_codes = [encoder.encode(c) for c in corpus]
    # Prefix filtering needs 0 < threshold < 1; at the ends every pair is scored.
    if len(c_codes) <= exact_max_pool or not 0.0 < threshold < 1.0:
        return nearest_exact(q_codes, c_codes, chunk, score_cutoff)
    blocker = PrefixBlocker(threshold)
    blocker.add(c_codes)
    return nearest_blocked(q_codes, c_codes, blocker, chunk, score_cutoff)


def nearest_exact(
    q_codes: Sequence[str], c_codes: Sequence[str], chunk: int = 2048, score_cutoff: float = 0.0
) -> list[tuple[int | None, float]]:
    """`nearest` over encoded texts, scoring every pair.

    Scores come from one `process.cdist` per block of `chunk` queries x `chunk` corpus
    texts on all cores, so memory stays at chunk^2 floats whatever the sizes;
    `score_cutoff` lets rapidfuzz skip work.
    """
    best_idx = np.full(len(q_codes), -1, dtype=np.int64)
    best_score = np.zeros(len(q_codes), dtype=np.float64)
    for q0 in range(0, len(q_codes), chunk):
        q_block = q_codes[q0 : q0 + chunk]
        for c0 in range(0, len(c_codes), chunk):
            scores = process.cdist(
                q_block,
                c_codes[c0 : c0 + chunk],
                scorer=Indel.normalized_similarity,
                workers=-1,
                score_cutoff=score_cutoff,
                # The default float32 would put 0.7 at 0.69999999 and blur the threshold.
                dtype=np.float64,
            )
            arg = scores.argmax(axis=1)
            top = scores[np.arange(len(q_block)), arg]
            # Strictly greater: an earlier chunk keeps its tie, so the lowest index wins.
            better = top > best_score[q0 : q0 + len(q_block)]
            best_score[q0 : q0 + len(q_block)][better] = top[better]
            best_idx[q0 : q0 + len(q_block)][better] = arg[better] + c0
    return [
        (None, 0.0) if not code or i < 0 else (int(i), float(s))
        for code, i, s in zip(q_codes, best_idx, best_score)
    ]


def nearest_blocked(
    q_codes: Sequence[str],
    c_codes: Sequence[str],
    blocker: PrefixBlocker,
    chunk: int = 2048,
    score_cutoff: float = 0.0,
    prefixes: Prefixes | None = None,
) -> list[tuple[int | None, float]]:
    """`nearest` over encoded texts, scoring only the pairs `blocker` (which indexes
    `c_codes`) lets through; exact for every query whose best is above its threshold.

    `prefixes` saves recomputing `blocker.prefixes(q_codes)` when the caller has them.
    """
    if prefixes is None:
        prefixes = blocker.prefixes(q_codes)
    corpus = np.empty(len(c_codes), dtype=object)  # for fast gathers of candidate texts
    corpus[:] = c_codes
    found: list[tuple[int | None, float]] = []
    for q0 in range(0, len(q_codes), chunk):
        pairs = blocker.candidates(prefixes.take(slice(q0, q0 + chunk)))
        cols, ends = pairs.indices.tolist(), pairs.indptr.tolist()
        texts = corpus[pairs.indices].tolist()
        for i, code in enumerate(q_codes[q0 : q0 + chunk]):
            a, b = ends[i], ends[i + 1]
            k, score = best_match(code, texts[a:b])
            found.append((None, 0.0) if k is None or score < score_cutoff else (cols[a + k], score))
    return found
