"""Shared setup for the fault-injection tests.

`GERMINATE_FAULT_TRIALS` sets how many seeded trials the randomised fault tests run (20 by
default, more under `make soak`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Looks like a real key; every test that plants it checks it never leaks.
FAKE_KEY = "sk-germinate-FAULT-TEST-3f9a1c77d2e84b06"


@pytest.fixture
def trials() -> int:
    return int(os.environ.get("GERMINATE_FAULT_TRIALS", "20"))


@pytest.fixture
def planted_key(monkeypatch) -> tuple[str, str]:
    """(env var name, key): a fake API key in an env var only these tests use."""
    name = "GERMINATE_FAULT_TEST_API_KEY"
    monkeypatch.setenv(name, FAKE_KEY)
    return name, FAKE_KEY


@pytest.fixture
def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def files_containing(root: Path, needle: str) -> list[str]:
    """Every file under `root` whose bytes contain `needle`."""
    hits = []
    for path in Path(root).rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            hits.append(str(path))
    return hits


@pytest.fixture
def find_secret():
    return files_containing
