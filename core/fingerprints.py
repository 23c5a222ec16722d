"""Short content hashes that tie a result to the exact data behind it (dataset card, adapter)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from core.records import LedgerRow


def fingerprint_file(path: Path | None) -> str | None:
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def data_fingerprint(kept: list[LedgerRow]) -> str:
    h = hashlib.sha256()
    for r in kept:
        h.update(json.dumps([r.id, r.instruction, r.input, r.output], ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def rows_fingerprint(rows: list[dict]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:16]
