"""Scale-out end to end: two real vLLM servers, two Dask workers, same curated set as one process.

Also the openai backend's contract against a real server: schema-valid JSON, token counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import runtime_env
from core.config import TeacherConfig
from core.store import read_jsonl_rows
from generators.parsing import parse_instructions
from generators.serve import vllm_servers
from germinate.cli import main
from reports.outputs import read_ledger

pytestmark = pytest.mark.slow

# One sequence at a time and no prefix cache: each request is then computed alone, the same way
# on either server, so its seeded output cannot depend on what else was in the batch or cache.
# That is what makes "same result as one process" a fair thing to assert.
SERVER_ARGS = ["--max-num-seqs", "1", "--no-enable-prefix-caching"]
SMALL = ["--set", "generate.teacher.backend=openai", "--set", "generate.num_instructions=3",
         "--set", "generate.requests_per_round=2", "--set", "generate.new_per_request=2",
         "--set", "generate.max_rounds=1", "--set", "generate.instruction_sampling.max_tokens=128",
         "--set", "generate.instance_sampling.max_tokens=64",
         # Both runs ask the same requests: one run seed (by default each run derives its own).
         "--set", "generate.run_seed=0"]


def _run(root: Path, *extra: str) -> tuple[Path, list[dict]]:
    assert main(["generate", "--data-root", str(root), *SMALL, *extra]) == 0
    (run,) = (root / "runs").iterdir()
    assert main(["curate", run.name, "--data-root", str(root), *extra]) == 0
    ledger = [json.loads(r.model_dump_json(include={"id", "instruction", "input", "output", "verdict",
                                                     "reasons", "similarity", "neighbour_id"})
                         .replace(run.name, "RUN"))
              for r in read_ledger(run / "ledger.parquet")]
    return run, ledger


def test_two_workers_and_two_servers_give_the_single_process_result(tmp_path: Path):
    runtime_env.configure(tmp_path)
    logs = [tmp_path / "server-a.log", tmp_path / "server-b.log"]
    with vllm_servers(TeacherConfig(backend="openai"), 2, log_paths=logs, startup_timeout_s=900,
                      extra_args=SERVER_ARGS) as (url_a, url_b):
        single_run, single = _run(tmp_path / "single", "--set", f"generate.teacher.endpoints=[{url_a}]")
        sharded_run, sharded = _run(tmp_path / "sharded", "--set", f"generate.teacher.endpoints=[{url_a}, {url_b}]",
                                    "--set", "cluster.runner=dask", "--set", "cluster.workers=2")

    assert single and sharded == single
    # Every row decided the same way, reasons and neighbours included (the tiny teacher's rows
    # may all be dropped by the quality signals: the equality is the point).
    assert len(single) >= 3 and all(r["verdict"] == "kept" or r["reasons"] for r in single)

    # The openai backend's contract, seen in the run's request log: every request has token
    # counts, and every instruction reply that finished is JSON the server held to the schema.
    log = read_jsonl_rows(sharded_run / "requests.jsonl")
    assert log and all(r["prompt_tokens"] > 0 and r["completion_tokens"] > 0 for r in log)
    finished = [r for r in log if r["stage"] == "instructions" and r["finish_reason"] == "stop"]
    assert finished
    for r in finished:
        tasks, error = parse_instructions(r["text"], r["finish_reason"])
        assert error is None and 1 <= len(tasks) <= 2, r["text"]
