"""Curation filters: per-example checks, near-duplicate removal and decontamination.

Each filter keeps a candidate or drops it with a named reason; `curate` runs them all and
returns one ledger row per candidate. Everything here is pure: no I/O, no model calls.
"""

from filters.checks import CHECKS, check_all
from filters.curate import REASONS, check_invariant, curate, drop_counts

__all__ = ["CHECKS", "REASONS", "check_all", "check_invariant", "curate", "drop_counts"]
