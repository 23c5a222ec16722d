"""The examples a tuning run trains on.

By default: everything accepted so far (the pool, optionally only the last `window_runs`
runs) plus the human seed tasks, as chat `messages`. A row a person dropped on the review page
(`core.overrides`) is never trained on, whichever data it comes from. Their hash (`core.fingerprints.rows_fingerprint`)
is saved with the adapter so a result can be traced to its data.
"""

from __future__ import annotations

from core import overrides, pool
from core.config import TuneConfig
from core.errors import GerminateError
from core.records import SeedTask, user_prompt
from core.store import RunDir, read_jsonl_rows


def as_messages(instruction: str, input: str, output: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": user_prompt({"instruction": instruction, "input": input})},
            {"role": "assistant", "content": output}]


def training_rows(run: RunDir, cfg: TuneConfig, seeds: list[SeedTask]) -> list[dict]:
    """`{"id", "messages"}` rows in a stable order (pool order, then seeds)."""
    if cfg.data == "run":
        dropped = overrides.dropped_ids(run.data_root)  # (the pool leaves them out itself)
        rows = [{"id": r["id"], "messages": r["messages"]} for r in read_jsonl_rows(run.file("data.jsonl"))
                if r["id"] not in dropped]
    else:
        entries = pool.load_pool(run.data_root)
        if cfg.window_runs:
            recent = list(dict.fromkeys(e["run_id"] for e in entries))[-cfg.window_runs:]
            entries = [e for e in entries if e["run_id"] in recent]
        rows = [{"id": e["id"], "messages": as_messages(e["instruction"], e["input"], e["output"])}
                for e in entries]
    if cfg.include_seeds:
        rows += [{"id": f"seed:{t.id}", "messages": as_messages(t.instruction, inst.input, inst.output)}
                 for t in seeds for inst in t.instances]
    if not rows:
        raise GerminateError(f"nothing to train on: the curated set of run {run.run_id} is empty "
                             "(and tune.include_seeds is off)")
    return rows

