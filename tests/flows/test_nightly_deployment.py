"""A real Prefect server, the nightly deployment served, a run triggered through the API.

The night keeps nothing, on purpose and deterministically (no output has 10,000 words): a
nightly run that keeps nothing is an outcome, not a crash. The flow run completes, training is
skipped with the reason in status.json, report.html and the summary artifact, nothing is
promoted. (Training and evaluation run in tests/integration.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.schedule import api_url, start_server
from generators.serve import free_port, stop
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow
EVAL_SMALL = Path(__file__).resolve().parents[1] / "data" / "eval_small.jsonl"


def _wait_deployment(client, name: str, timeout_s: float = 240):
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:  # not registered yet: the served process is still starting
            time.sleep(2)
    raise AssertionError(f"deployment {name} never appeared")


def test_served_nightly_deployment_runs_through_the_api(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), GERMINATE_HOME=str(tmp_path / "data"),
               PREFECT_API_URL=api_url("127.0.0.1", port))
    os.makedirs(env["PREFECT_HOME"], exist_ok=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        server = start_server("127.0.0.1", port)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    sets = ["generate.num_instructions=2", "generate.requests_per_round=2", "generate.max_rounds=1",
            "generate.instruction_sampling.max_tokens=96", "generate.instance_sampling.max_tokens=48",
            "curate.output_length.min_words=10000", "tune.max_steps=2", f"evaluate.eval_set={EVAL_SMALL}",
            "evaluate.max_tokens=16"]
    cmd = [sys.executable, "-m", "germinate", "schedule", "--timezone", "Asia/Seoul"]
    for s in sets:
        cmd += ["--set", s]
    served = subprocess.Popen(cmd, env=env, stdout=open(tmp_path / "serve.log", "wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
            with get_client(sync_client=True) as client:
                deployment = _wait_deployment(client, "pipeline/nightly")
                assert deployment.schedules and deployment.schedules[0].schedule.cron == "0 2 * * *"
                assert deployment.schedules[0].schedule.timezone == "Asia/Seoul"
                flow_run = client.create_flow_run_from_deployment(deployment.id)
                deadline = time.monotonic() + 900
                while time.monotonic() < deadline:
                    state = client.read_flow_run(flow_run.id).state
                    if state is not None and state.is_final():
                        break
                    time.sleep(5)
                log = (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
                assert state is not None and state.is_completed(), (state, log)
                runs = list((tmp_path / "data" / "runs").iterdir())
                assert len(runs) == 1 and (runs[0] / "report.html").exists()
                status = json.loads((runs[0] / "status.json").read_text())
                curated = status["stages"]["curate"]
                assert curated["generated"] > 0 and curated["kept"] == 0
                # Every candidate that parsed failed the length check (the others could not be checked).
                ledger = read_ledger(runs[0] / "ledger.parquet")
                assert all(r.verdict == "dropped" for r in ledger)
                assert all("output_too_short" in r.reasons for r in ledger if r.parse_error is None)
                note = status["note"]
                assert status["status"] == "completed" and note.startswith(
                    f"training skipped: 0 of {curated['generated']} candidates passed; top reasons: ")
                assert status["skipped"] == ["tune", "evaluate"] and "tune" not in status["stages"]
                assert not (tmp_path / "data" / "registry.json").exists()  # nothing promoted
                assert note in (runs[0] / "report.html").read_text(encoding="utf-8")
                for key in ["germinate-drops", "germinate-drop-samples", "germinate-summary"]:
                    found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
                    assert found, f"artifact {key} missing"
                    if key == "germinate-summary":
                        assert note in found[0].data
                assert not client.read_artifacts(
                    artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["germinate-eval"])))
    finally:
        stop(served)
        stop(server)
