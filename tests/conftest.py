"""Shared test setup: the model cache lives in the repository (as `make` sets it)."""

import os
from pathlib import Path

os.environ.setdefault("GERMINATE_CACHE", str(Path(__file__).resolve().parents[1] / ".cache"))
