"""Blocking for near-duplicate search at scale: which pairs could score ROUGE-L > threshold.

Scoring every new instruction against every kept one is quadratic; past a few ten thousand
texts almost all of that work is on pairs that share a handful of words. Blocking picks the
few pairs worth scoring. This one is *exact* (prefix filtering: Chaudhuri et al. 2006;
Bayardo et al. 2007 "All-Pairs"; Xiao et al. 2008 "PPJoin"): no pair above the threshold
is ever missed, so blocked and exhaustive dedup drop the same rows.

Why nothing is missed. Treat a text as the multiset of its tokens, each occurrence a
separate element ("the", "the#2", ...). ROUGE-L F1 = 2*LCS/(|a|+|b|) and LCS <= |a & b|, so
F1 > t needs |b| > r*|a| with r = t/(2-t) (because LCS <= |b|), and then
|a & b| > r*|a| = o(a). Fix one global order of elements, rarest first. If a and b share at
least o elements, the first k of those shared elements lie within the first |a| - o + k
elements of a, and likewise of b: the *prefix*. So a pair that does not share k elements
of their prefixes (k = `shared`, fewer for very short texts) cannot score above t.
Counting shared prefix elements for a whole block of queries is one sparse matrix product.

MinHash LSH (datasketch, LSH threshold 0.3 over word unigrams+bigrams) was measured against
this on the benchmark data (bench/README.md): it missed ~1% of the drops at 20k and, at
100k, used 35% more CPU and twice the memory, so this exact method is the one used.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

# Shared prefix elements a pair needs to be scored: longer prefixes (more elements probed)
# for fewer pairs to score. 3 was fastest on the benchmark at 20k-100k (bench/README.md).
SHARED = 3
# An element is (token, occurrence number) packed into one int: token codes are characters
# (< 0x110000 < 2**21), so the occurrence number goes above bit 21.
_OCCURRENCE_SHIFT = 21
# Order key = quantised document frequency, then column: a total order that never changes
# once an element has a column (see `PrefixBlocker.register`).
_FREQ_STEPS = 1_000_000
_COLUMN_BITS = 32


def elements(code: str) -> list[int]:
    """The text's multiset of tokens as distinct ints: token, occurrence number."""
    out = list(map(ord, code))
    if len(set(code)) < len(code):  # a repeated token: number its occurrences
        seen: dict[int, int] = {}
        for i, e in enumerate(out):
            k = seen.get(e, 0)
            seen[e] = k + 1
            out[i] = e | (k << _OCCURRENCE_SHIFT)
    return out


class Prefixes(NamedTuple):
    """Texts' prefixes as sparse rows over element columns, with what each pair needs."""

    rows: sp.csr_matrix
    need: np.ndarray  # shared prefix elements a pair with this text needs
    lengths: np.ndarray  # tokens

    def __len__(self) -> int:
        return self.rows.shape[0]

    def take(self, which) -> "Prefixes":
        """The prefixes of the texts selected by `which` (a slice or an index array)."""
        return Prefixes(self.rows[which], self.need[which], self.lengths[which])


def min_overlap(length: int, threshold: float) -> int:
    """Fewest shared elements a text of `length` tokens needs for ROUGE-L > threshold.

    The 1e-9 keeps float error on the safe side: a borderline pair is scored, not skipped.
    """
    return math.floor(threshold / (2.0 - threshold) * length - 1e-9) + 1


class PrefixBlocker:
    """The prefixes of indexed texts (rows of a sparse matrix) and the element order.

    Elements get a column when first registered, ordered by their document frequency in
    the texts they were registered with. That order is frozen: later texts only insert new
    elements into it, which leaves every indexed prefix valid (so `add` never re-indexes).
    """

    def __init__(self, threshold: float, shared: int = SHARED) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError("blocking needs a threshold strictly between 0 and 1")
        self.threshold = threshold
        self.shared = shared
        self.columns: dict[int, int] = {}  # element -> column
        self.order: list[int] = []  # column -> order key (rarest first)
        self.rows = sp.csr_matrix((0, 0), dtype=np.int32)
        self.need = np.zeros(0, dtype=np.int32)  # shared prefix elements each row needs
        self.lengths = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return self.rows.shape[0]

    def register(self, codes: Sequence[str]) -> None:
        """Give new elements of `codes` a column, ordered by their frequency in `codes`."""
        df = Counter(e for code in codes for e in elements(code))
        scale = _FREQ_STEPS / max(len(codes), 1)
        for e, f in df.items():
            if e not in self.columns:
                column = len(self.order)
                self.columns[e] = column
                self.order.append((min(round(f * scale), _FREQ_STEPS) << _COLUMN_BITS) | column)

    def prefixes(self, codes: Sequence[str]) -> Prefixes:
        """Prefix rows (registered elements only), shared elements needed, and lengths.

        Unregistered elements rank rarest (no indexed text has them), so they take prefix
        places but no column. An empty text needs more than it can ever share.
        """
        order, columns = self.order, self.columns
        indptr, indices, need = [0], [], []
        rank = order.__getitem__
        for code in codes:
            n = len(code)
            if n == 0:
                need.append(np.iinfo(np.int32).max)
            else:
                o = min_overlap(n, self.threshold)
                k = min(self.shared, o)
                cols = [c for c in map(columns.get, elements(code)) if c is not None]
                cols.sort(key=rank)
                # The n - len(cols) unregistered elements come first in the order.
                indices.extend(cols[: max(0, n - o + k - (n - len(cols)))])
                need.append(k)
            indptr.append(len(indices))
        rows = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.int32), np.asarray(indices, dtype=np.int64), indptr),
            shape=(len(codes), len(order)),
        )
        lengths = np.asarray([len(c) for c in codes], np.int32)
        return Prefixes(rows, np.asarray(need, np.int32), lengths)

    def add(self, codes: Sequence[str], prefixes: Prefixes | None = None) -> None:
        """Index `codes` after the texts already indexed (their row numbers follow on).

        `prefixes`, if given, must be `self.prefixes(codes)` computed after registering them.
        """
        if prefixes is None:
            self.register(codes)
            prefixes = self.prefixes(codes)
        self.rows = sp.vstack(
            [self._widened(self.rows), self._widened(prefixes.rows)], format="csr"
        )
        self.need = np.concatenate([self.need, prefixes.need])
        self.lengths = np.concatenate([self.lengths, prefixes.lengths])

    def candidates(self, queries: Prefixes) -> sp.csr_matrix:
        """Pairs (query, indexed row) that could score above the threshold, as a sparse matrix.

        Row i lists, in increasing order, the indexed rows query i must be scored against.
        """
        shared = self._widened(queries.rows) @ self._widened(self.rows).T
        return self._filter(shared, queries, Prefixes(self.rows, self.need, self.lengths))

    def self_candidates(self, texts: Prefixes) -> sp.csr_matrix:
        """Among texts not indexed: row i lists the j < i it must be scored against."""
        rows = self._widened(texts.rows)
        return self._filter(sp.tril(rows @ rows.T, k=-1, format="csr"), texts, texts)

    def _widened(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        """`rows` with as many columns as there are now (registering adds columns)."""
        if rows.shape[1] == len(self.order):
            return rows
        shape = (rows.shape[0], len(self.order))
        return sp.csr_matrix((rows.data, rows.indices, rows.indptr), shape=shape)

    def _filter(self, shared: sp.csr_matrix, q: Prefixes, c: Prefixes) -> sp.csr_matrix:
        """Keep pairs sharing enough prefix elements and of compatible lengths."""
        # Most pairs share one or two common words: drop them before gathering anything else.
        keep = np.flatnonzero(shared.data >= min(self.shared, q.need.min(initial=self.shared)))
        row = np.searchsorted(shared.indptr, keep, side="right") - 1
        col = shared.indices[keep]
        r = self.threshold / (2.0 - self.threshold)
        ok = (
            (shared.data[keep] >= np.maximum(q.need[row], c.need[col]))
            & (c.lengths[col] >= r * q.lengths[row] - 1e-9)
            & (q.lengths[row] >= r * c.lengths[col] - 1e-9)
        )
        row, col = row[ok], col[ok]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=shared.shape[0]))])
        out = sp.csr_matrix((np.ones(len(col), dtype=np.int8), col, indptr), shape=shared.shape)
        out.sort_indices()
        return out
