"""Nightly operation: serve the `pipeline` flow on a cron schedule, and a local Prefect server.

`germinate schedule` is for users without a work pool: `flow.serve` registers the deployment
`pipeline/nightly` and executes its runs (scheduled or triggered) in this process's children.
`germinate server start` runs `prefect server start` on 127.0.0.1 with its SQLite database in
the data root (Postgres: set PREFECT_API_DATABASE_CONNECTION_URL before starting).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.config import PipelineConfig
from core.errors import GerminateError
from flows.pipeline import pipeline_flow
from generators.serve import stop, wait_healthy


def serve_nightly(config: PipelineConfig, data_root: Path, name: str = "nightly") -> None:
    """Register `pipeline/<name>` with the config's cron schedule and execute its runs."""
    from prefect.schedules import Cron

    try:
        schedule = Cron(config.schedule.cron, timezone=config.schedule.timezone)
    except ValueError as exc:
        raise GerminateError(f"bad schedule (cron '{config.schedule.cron}', timezone "
                             f"'{config.schedule.timezone}'): {exc}") from None
    pipeline_flow.serve(name=name, schedules=[schedule],
                        parameters={"config": config.model_dump(mode="json"), "data_root": str(data_root)},
                        description="germinate nightly: generate, curate, tune, evaluate, promote")


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)]


def start_server(host: str, port: int, timeout_s: float = 120.0) -> subprocess.Popen:
    """Start the Prefect API server and wait until it answers its health check."""
    env = dict(os.environ, PREFECT_UI_ENABLED="false")
    proc = subprocess.Popen(server_command(host, port), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(api_url(host, port), proc, timeout_s, name=f"prefect server (port {port})")
    except GerminateError:
        stop(proc)
        raise
    return proc


def api_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/api"


def database_note() -> str:
    url = os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL")
    return "database: PostgreSQL (PREFECT_API_DATABASE_CONNECTION_URL)" if url else \
        f"database: SQLite in {Path(os.environ.get('PREFECT_HOME', '~/.prefect'))}"
