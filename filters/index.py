"""The pool's near-duplicate index, kept on disk so night N+1 only encodes what is new.

It holds every pool text as a token code string (`similarity.TokenEncoder`) and its
blocking prefix (`blocking.PrefixBlocker`); position j is pool row j. Saved as one JSON
file (settings and vocabulary) and one .npz of plain arrays: no pickle, nothing executed
on load.

    index = PoolIndex.load(path, rule.threshold, rule.exact_max_pool) if path.exists() \
        else PoolIndex.build(pool_texts, rule.threshold, rule.exact_max_pool)
    verdicts = index.admit(batch_texts, eligible)   # Self-Instruct's sequential rule
    index.save(path)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from core import pool
from core.config import NearDuplicateRule
from core.errors import GerminateError
from core.store import atomic_file, atomic_write_json, atomic_write_text
from filters.admission import BATCH, admit_in_order
from filters.blocking import PrefixBlocker, Prefixes
from filters.similarity import TokenEncoder, nearest_blocked, nearest_exact

# 2: Hangul texts are encoded as `core.text.similarity_tokens` (morphemes + syllables), so an
# index saved with format 1 (space-separated words) is rebuilt rather than trusted.
FORMAT = 2
# Texts admitted per round: each round scores its texts against the index in bulk, then
# against each other in order.
BLOCK = 2048


class PoolIndex:
    """Encoded pool texts plus their blocking prefixes; grows with `add` and `admit`."""

    def __init__(self, threshold: float, exact_max_pool: int) -> None:
        self.threshold = threshold
        self.exact_max_pool = exact_max_pool
        self.encoder = TokenEncoder()
        self.codes: list[str] = []
        # Prefix filtering only makes sense for a threshold strictly between 0 and 1.
        self.blocker = PrefixBlocker(threshold) if 0.0 < threshold < 1.0 else None

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        threshold: float,
        exact_max_pool: int,
    ) -> "PoolIndex":
        """An index of `texts`, in order."""
        index = cls(threshold, exact_max_pool)
        index.add(texts)
        return index

    def __len__(self) -> int:
        return len(self.codes)

    def add(self, texts: Sequence[str]) -> None:
        """Append `texts` (they take positions len(self), len(self)+1, ...)."""
        self._extend([self.encoder.encode(t) for t in texts])

    def nearest(
        self, queries: Sequence[str], score_cutoff: float = 0.0
    ) -> list[tuple[int | None, float]]:
        """Most similar indexed text for each query, as `similarity.nearest` (same switch).

        Unknown words in the queries join the index's vocabulary (it is saved with them).
        """
        return self._nearest([self.encoder.encode(q) for q in queries], score_cutoff)

    def admit(
        self, texts: Sequence[str], eligible: Sequence[bool] | None = None
    ) -> list[tuple[int | None, float, bool]]:
        """Self-Instruct's loop: each text vs the index and the texts admitted before it.

        Text i is admitted (appended to the index) when `eligible[i]` (default: all) and
        its best ROUGE-L is <= threshold. Returns (position of its nearest text or None,
        score, admitted) per text; on a tie the earlier position wins. Blocked or exact by
        index size, as `similarity.nearest`: drops are the same either way.
        """
        codes = [self.encoder.encode(t) for t in texts]
        eligible = [True] * len(codes) if eligible is None else list(eligible)
        if len(eligible) != len(codes):
            raise ValueError(f"{len(codes)} texts but {len(eligible)} eligible flags")
        if self.blocker is not None:
            # Order elements by their frequency in the whole input before any prefix is cut.
            self.blocker.register(codes)
        verdicts: list[tuple[int | None, float, bool]] = []
        for b0 in range(0, len(codes), BLOCK):
            verdicts += self._admit_block(codes[b0 : b0 + BLOCK], eligible[b0 : b0 + BLOCK])
        return verdicts

    def _admit_block(
        self, block: list[str], eligible: list[bool]
    ) -> list[tuple[int | None, float, bool]]:
        """`admit` for one round: the block vs the index in bulk, then in order within it."""
        base = len(self)
        prefixes = None if self.blocker is None else self.blocker.prefixes(block)
        prior = self._nearest(block, prefixes=prefixes)
        exact = self.blocker is None or base + len(block) <= self.exact_max_pool
        pairs = None if exact else self.blocker.self_candidates(prefixes)
        verdicts = admit_in_order(block, prior, eligible, self.threshold, pairs=pairs)
        admitted = [i for i, v in enumerate(verdicts) if v.admitted]
        # An admitted text takes the next index position: base + its rank among the admitted.
        position = {offset: base + rank for rank, offset in enumerate(admitted)}
        self.codes.extend(block[i] for i in admitted)
        if self.blocker is not None:
            self.blocker.add([block[i] for i in admitted], prefixes.take(admitted))
        return [(position[v.neighbour] if v.source == BATCH else v.neighbour, v.score, v.admitted)
                for v in verdicts]

    def save(self, path: str | Path) -> None:
        """Write `path`.json (settings, vocabulary) and `path`.npz (arrays), each replaced
        whole so a crash never leaves half a file."""
        path = Path(path)
        arrays = {
            "codes": np.frombuffer("".join(self.codes).encode("utf-32-le"), dtype=np.uint32),
            "code_ends": np.cumsum([len(c) for c in self.codes], dtype=np.int64),
        }
        if self.blocker is not None:
            b = self.blocker
            arrays |= {
                "elements": np.fromiter(b.columns, dtype=np.int64, count=len(b.columns)),
                "order": np.asarray(b.order, dtype=np.int64),
                "prefix_indptr": b.rows.indptr.astype(np.int64),
                "prefix_indices": b.rows.indices.astype(np.int64),
                "need": b.need,
                "lengths": b.lengths,
            }
        meta = {
            "format": FORMAT,
            "size": len(self),
            "threshold": self.threshold,
            "shared": None if self.blocker is None else self.blocker.shared,
            "vocab": list(self.encoder.vocab),
        }
        npz, js = path.with_suffix(".npz"), path.with_suffix(".json")
        # Through the one atomic writer: fsynced, under the temp names the pool lock sweeps.
        with atomic_file(npz) as f:
            np.savez(f, **arrays)
        atomic_write_text(js, json.dumps(meta, ensure_ascii=False))

    @classmethod
    def load(
        cls,
        path: str | Path,
        threshold: float | None,
        exact_max_pool: int,
    ) -> "PoolIndex":
        """Read what `save` wrote. Another `threshold` than the saved one re-cuts the
        prefixes from the saved codes (seconds, no re-tokenising)."""
        path = Path(path)
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                found = meta.get("format")
                raise GerminateError(f"{path}: dedup index format {found}, not {FORMAT}; rebuild it")
            with np.load(path.with_suffix(".npz"), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            index = cls(meta["threshold"] if threshold is None else threshold, exact_max_pool)
            index.encoder = TokenEncoder.from_tokens(meta["vocab"])
            joined = arrays["codes"].tobytes().decode("utf-32-le")
            ends = arrays["code_ends"].tolist()
            index.codes = [joined[a:b] for a, b in zip([0, *ends[:-1]], ends)]
            if len(index.codes) != meta["size"]:
                raise ValueError("size mismatch")
            if index.blocker is not None:
                index._restore_blocker(arrays, meta)
        except GerminateError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GerminateError(f"cannot read the dedup index {path} ({exc}); rebuild it") from None
        return index

    def _restore_blocker(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        """The saved blocking state, or a fresh one where the saved one does not fit."""
        b = self.blocker
        if "order" not in arrays or meta["shared"] != b.shared:
            b.add(self.codes)
            return
        b.columns = dict(zip(arrays["elements"].tolist(), range(len(arrays["elements"]))))
        b.order = arrays["order"].tolist()
        if self.threshold != meta["threshold"]:
            b.rows, b.need, b.lengths = b.prefixes(self.codes)
            return
        ones = np.ones(len(arrays["prefix_indices"]), dtype=np.int32)
        b.rows = sp.csr_matrix(
            (ones, arrays["prefix_indices"], arrays["prefix_indptr"]),
            shape=(len(self.codes), len(b.order)),
        )
        b.need, b.lengths = arrays["need"], arrays["lengths"]

    def _extend(self, codes: list[str]) -> None:
        self.codes.extend(codes)
        if self.blocker is not None:
            self.blocker.add(codes)

    def _nearest(
        self, codes: list[str], score_cutoff: float = 0.0, prefixes: Prefixes | None = None
    ) -> list[tuple[int | None, float]]:
        if self.blocker is None or len(self) <= self.exact_max_pool:
            return nearest_exact(codes, self.codes, score_cutoff=score_cutoff)
        return nearest_blocked(
            codes, self.codes, self.blocker, score_cutoff=score_cutoff, prefixes=prefixes
        )


def persisted_index(data_root: Path, rule: NearDuplicateRule, entries: list[tuple[str, str]]) -> "PoolIndex":
    """The persisted index of `entries` (`pool_entries`, in pool order), brought up to date.

    Only rows past what the saved index covers are encoded. The sidecar state (rows covered,
    id of the last one) is written after the index files, so a crash in between, or a pool
    that changed under it, reads as a mismatch and the index is rebuilt, never trusted.
    """
    base = pool.pool_path(data_root).with_name("index-" + ("instruction-input" if rule.include_input else "instruction"))
    state_path = base.with_suffix(".state.json")
    with pool.pool_lock(data_root):
        index = None
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            rows = int(state["rows"])
            if 0 < rows <= len(entries) and entries[rows - 1][0] == state["last_id"]:
                index = PoolIndex.load(base, threshold=rule.threshold, exact_max_pool=rule.exact_max_pool)
                index = index if len(index) == rows else None
        except (OSError, ValueError, KeyError, TypeError, GerminateError):
            index = None
        if index is None:
            index = PoolIndex(rule.threshold, rule.exact_max_pool)
        new = entries[len(index):]
        if new:
            index.add([text for _, text in new])
            index.save(base)
            atomic_write_json(state_path, {"rows": len(index), "last_id": entries[len(index) - 1][0]})
    return index
