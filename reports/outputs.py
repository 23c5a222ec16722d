"""What a curated run leaves on disk: ledger, HF dataset, chat JSONL, Alpaca export, card.

- `ledger.parquet`: every candidate with verdict, all reasons, similarity and neighbour.
- `dataset/`: the kept rows as an HF `datasets` dataset (`load_from_disk`).
- `data.jsonl`: kept rows in OpenAI chat `messages` form plus metadata.
- `alpaca.json`: kept rows as `instruction / input / output`.
- `README.md`: a dataset card with counts per reason, teacher, sampling and seeds fingerprint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.fingerprints import data_fingerprint
from core.records import LedgerRow, user_prompt
from core.store import RunDir, atomic_dir, atomic_write_bytes, atomic_write_json, atomic_write_jsonl, atomic_write_text
from filters import drop_counts

LEDGER_SCHEMA = pa.schema([
    ("id", pa.string()), ("verdict", pa.string()), ("reasons", pa.list_(pa.string())),
    ("instruction", pa.string()), ("input", pa.string()), ("output", pa.string()),
    ("is_classification", pa.bool_()), ("finish_reason", pa.string()),
    ("parse_error", pa.string()), ("raw", pa.string()),
    ("similarity", pa.float64()), ("neighbour_id", pa.string()), ("neighbour_text", pa.string()),
    ("meta", pa.string()),  # JSON: provenance differs per source, so it stays a document
    ("scores", pa.map_(pa.string(), pa.float64())),  # quality signals, by score key
])


def to_messages(row: LedgerRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "messages": [{"role": "user", "content": user_prompt(row)},
                     {"role": "assistant", "content": row.output}],
        "meta": row.meta,
    }


def to_alpaca(row: LedgerRow) -> dict[str, str]:
    return {"instruction": row.instruction, "input": row.input, "output": row.output}


def write_ledger(path: Path, rows: list[LedgerRow], quality: dict[str, Any] | None = None) -> None:
    """The ledger as Parquet; `quality` (the thresholds in effect) goes into the file's metadata,
    so a ledger alone says which scores decided its verdicts."""
    records = [dict(r.model_dump(), meta=json.dumps(r.meta, ensure_ascii=False)) for r in rows]
    schema = LEDGER_SCHEMA.with_metadata({"germinate.quality": json.dumps(quality)}) if quality else LEDGER_SCHEMA
    table = pa.Table.from_pylist(records, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def read_ledger(path: Path) -> list[LedgerRow]:
    rows = pq.read_table(path).to_pylist()
    # A map column reads back as (key, value) pairs; ledgers written before scores have none.
    return [LedgerRow.model_validate(dict(r, meta=json.loads(r["meta"] or "{}"), scores=dict(r.get("scores") or [])))
            for r in rows]


def write_curated(run: RunDir, rows: list[LedgerRow], card: dict[str, Any],
                  quality: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ledger, dataset, exports and card; returns the summary stored in status.json.

    `quality` is the quality signals' thresholds in effect (`filters.quality.thresholds`):
    recorded in the summary, the ledger's metadata and the card."""
    from datasets import Dataset

    kept = [r for r in rows if r.verdict == "kept"]
    write_ledger(run.file("ledger.parquet"), rows, quality)
    messages = [to_messages(r) for r in kept]
    atomic_write_jsonl(run.file("data.jsonl"), messages)
    atomic_write_json(run.file("alpaca.json"), [to_alpaca(r) for r in kept])
    with atomic_dir(run.file("dataset")) as tmp:
        if messages:
            Dataset.from_list([{"id": m["id"], "messages": m["messages"]} for m in messages]).save_to_disk(str(tmp))
        else:
            _empty_dataset(tmp)
    summary = {
        "generated": len(rows), "kept": len(kept), "dropped": len(rows) - len(kept),
        "drops_by_reason": drop_counts(rows), "data_fingerprint": data_fingerprint(kept),
    }
    if quality:
        summary["quality"] = quality
    atomic_write_text(run.file("README.md"), dataset_card(run.run_id, summary, card))
    return summary


def _quality_lines(quality: dict[str, Any] | None) -> list[str]:
    if not quality:
        return []
    lines = ["## Quality thresholds in effect", "",
             "Every candidate's scores are in `ledger.parquet` (`scores`); see the README for their meaning.", "",
             "| signal | enabled | thresholds |", "|---|---|---|"]
    for name, section in quality.items():
        limits = ", ".join(f"{k}={v}" for k, v in section.items() if k != "enabled")
        lines.append(f"| {name} | {'yes' if section.get('enabled') else 'no'} | {limits} |")
    return [*lines, ""]


def _empty_dataset(path: Path) -> None:
    from datasets import Dataset, Features, Value

    feats = Features({"id": Value("string"),
                      "messages": [{"role": Value("string"), "content": Value("string")}]})
    # One explicit shard: datasets writes no shard at all for 0 rows, and then cannot load it.
    Dataset.from_dict({"id": [], "messages": []}, features=feats).save_to_disk(str(path), num_shards=1)


def dataset_card(run_id: str, summary: dict[str, Any], card: dict[str, Any]) -> str:
    lines = [
        f"# germinate run {run_id}",
        "",
        "Instruction-tuning data grown with Self-Instruct and curated by germinate.",
        "",
        "| | count |", "|---|---|",
        f"| generated | {summary['generated']} |",
        f"| kept | {summary['kept']} |",
        f"| dropped | {summary['dropped']} |",
        "",
        "## Drops per reason",
        "",
        "A row dropped for several reasons counts under each.",
        "",
        "| reason | count |", "|---|---|",
        *[f"| {reason} | {n} |" for reason, n in summary["drops_by_reason"].items()],
        "",
        *_quality_lines(summary.get("quality")),
        "## Provenance",
        "",
        *[f"- **{k}**: {v}" for k, v in card.items()],
        f"- **data fingerprint**: {summary['data_fingerprint']}",
        "",
        "Files: `data.jsonl` (chat messages), `alpaca.json`, `dataset/` (HF datasets),",
        "`ledger.parquet` (every candidate, its verdict and reasons).",
        "",
    ]
    return "\n".join(lines)
