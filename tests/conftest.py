"""Shared test setup: the model cache lives in the repository (as `make` sets it), and the
process environment is germinate's, set before Prefect is imported (Prefect reads its
settings once, at import)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("GERMINATE_CACHE", str(Path(__file__).resolve().parents[1] / ".cache"))

from core import runtime_env  # noqa: E402

runtime_env.configure(Path(tempfile.mkdtemp(prefix="germinate-tests-")))

# Prefect configures logging with dictConfig on import, which closes every existing handler.
# Imported after absl (pulled in by rouge-score at collection), that closes a handler bound to
# pytest's capture stream; importing Prefect first keeps the order production code sees.
from prefect import flow as _prefect_flow  # noqa: E402,F401

# absl (imported by rouge-score) binds its handler to the sys.stderr of the moment, which
# under pytest is a capture file; a later logging.config.dictConfig (vLLM calls one on import)
# closes every handler, and absl's close() closes that capture file, killing pytest's output.
# Pointing it at the real stderr makes absl leave the stream alone.
import sys  # noqa: E402

import absl.logging  # noqa: E402

absl.logging.get_absl_handler().python_handler.stream = sys.__stderr__

# Tests never assert wall-clock time, and Hypothesis's default 200 ms deadline per example is
# one (a loaded 2-core CI machine once took 264 ms for a pure function). Every property test
# gets no deadline; one that wants other settings still passes its own.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("germinate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("germinate")
