"""A busy machine: Prefect's temporary API server is slow to start.

Without PREFECT_API_URL every flow run starts Prefect's temporary server and waits at most
PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (Prefect's default: 20 s) for it. On the
2-core machines germinate targets, with anything else running, start-up took longer and
`germinate curate --input` died with `RuntimeError: Timed out while attempting to connect to
ephemeral Prefect API server` and a traceback (seen twice while writing test_secrets.py).
"""

from __future__ import annotations

import os

import pytest

from germinate import runtime_env


@pytest.fixture
def clean_env(tmp_path):
    saved = dict(os.environ)
    os.environ.pop("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.xfail(strict=True, reason="runtime_env.configure leaves Prefect's 20 s temporary-server start "
                                       "timeout; on a busy 2-core machine the CLI fails with RuntimeError")
def test_prefect_temporary_server_gets_time_to_start(clean_env, tmp_path):
    runtime_env.configure(tmp_path)
    assert int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20")) >= 60
