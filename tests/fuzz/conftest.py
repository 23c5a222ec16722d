"""Fuzz tests: hypothesis over teacher replies, candidates and input files.

Each file sizes its runs with `GERMINATE_FUZZ_EXAMPLES` (60 by default; `make soak` raises
it). Profiles are not registered globally here so other test directories keep hypothesis's
defaults.
"""

from __future__ import annotations

import pytest

from core.paths import DEFAULT_EVAL_SET
from core.records import load_tasks


@pytest.fixture(scope="session")
def eval_tasks():
    """The shipped held-out eval set, for decontamination (loaded once)."""
    return load_tasks(DEFAULT_EVAL_SET, "eval")
