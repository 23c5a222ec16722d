"""A busy machine: Prefect's temporary API server is slow to start.

Without PREFECT_API_URL every flow run starts Prefect's temporary server and waits at most
PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (Prefect's default: 20 s) for it. On the
2-core machines germinate targets, with anything else running, start-up took longer and
`germinate curate --input` died with `RuntimeError: Timed out while attempting to connect to
ephemeral Prefect API server` and a traceback (seen twice while writing test_secrets.py);
runtime_env now gives it longer, and a user's own setting still wins.
"""

from __future__ import annotations

import os

import pytest

from core import runtime_env


@pytest.fixture
def clean_env(tmp_path):
    saved = dict(os.environ)
    os.environ.pop("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", None)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_prefect_temporary_server_gets_time_to_start(clean_env, tmp_path):
    runtime_env.configure(tmp_path)
    assert int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20")) >= 60


def test_users_own_start_up_timeout_wins(clean_env, tmp_path):
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "7"
    runtime_env.configure(tmp_path)
    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "7"
