"""A person's decisions: saved atomically, never lost to a damaged file, applied after the filters."""

from __future__ import annotations

import os

import pytest

from core import overrides
from core.errors import GerminateError
from core.overrides import OVERRIDE_DROP, Override
from core.records import Candidate, LedgerRow
from filters import check_invariant


def _row(i: int, reasons: list[str]) -> LedgerRow:
    return LedgerRow(id=f"r-{i}", instruction=f"Task {i}", output="An answer.",
                     verdict="dropped" if reasons else "kept", reasons=reasons, meta={"run_id": "r"})


def test_save_replace_clear_round_trip(tmp_path):
    overrides.save(tmp_path, Override(id="r-1", decision="drop", note="junk"))
    overrides.save(tmp_path, Override(id="r-2", decision="keep", note="fine after all"))
    overrides.save(tmp_path, Override(id="r-1", decision="keep", note="changed my mind"))
    got = overrides.load(tmp_path)
    assert [(o.id, o.decision, o.note) for o in got.values()] == [
        ("r-2", "keep", "fine after all"), ("r-1", "keep", "changed my mind")]
    assert all(o.time for o in got.values())
    assert overrides.clear(tmp_path, "r-2") is True
    assert overrides.clear(tmp_path, "r-2") is False
    assert list(overrides.load(tmp_path)) == ["r-1"]


@pytest.mark.parametrize("damage", [b'{"id": "r-3", "decision": "dro', b"not json at all",
                                    b'{"id": "r-3", "decision": "maybe"}', b"\xff\xfe broken bytes"])
def test_a_damaged_file_is_one_line_and_never_rewritten(tmp_path, damage):
    overrides.save(tmp_path, Override(id="r-1", decision="drop", note="junk"))
    overrides.save(tmp_path, Override(id="r-2", decision="keep"))
    path = overrides.overrides_path(tmp_path)
    path.write_bytes(path.read_bytes() + damage + b"\n")
    before = path.read_bytes()
    with pytest.raises(GerminateError) as err:
        overrides.load(tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "damaged" in message
    if not damage.startswith(b"\xff"):
        assert f"{path}:3:" in message  # the line is named
    for write in (lambda: overrides.save(tmp_path, Override(id="r-4", decision="drop")),
                  lambda: overrides.clear(tmp_path, "r-1")):
        with pytest.raises(GerminateError):
            write()
        assert path.read_bytes() == before  # the earlier decisions are still there, byte for byte
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_write_that_dies_before_the_rename_leaves_the_old_file(tmp_path, monkeypatch):
    overrides.save(tmp_path, Override(id="r-1", decision="drop", note="junk"))
    before = overrides.overrides_path(tmp_path).read_bytes()

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        overrides.save(tmp_path, Override(id="r-2", decision="keep"))
    monkeypatch.undo()
    assert overrides.overrides_path(tmp_path).read_bytes() == before
    assert list(overrides.load(tmp_path)) == ["r-1"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_apply_records_the_decision_and_keeps_every_reason():
    rows = [_row(0, []), _row(1, ["near_duplicate"]), _row(2, ["refusal", "output_too_short"]), _row(3, [])]
    decisions = {"r-0": Override(id="r-0", decision="drop", note="wrong answer"),
                 "r-1": Override(id="r-1", decision="keep", note="a different task"),
                 "r-2": Override(id="r-2", decision="drop")}
    out = overrides.apply(rows, decisions)
    assert [(r.verdict, r.reasons) for r in out] == [
        ("dropped", [OVERRIDE_DROP]), ("kept", []), ("dropped", ["refusal", "output_too_short", OVERRIDE_DROP]),
        ("kept", [])]
    assert out[0].meta["override"]["note"] == "wrong answer"
    assert out[1].meta["overruled_reasons"] == ["near_duplicate"]
    assert "override" not in out[3].meta and out[3].meta["run_id"] == "r"
    check_invariant([Candidate(id=r.id) for r in rows], out)
    # What the filters said can always be read back, and applying again changes nothing.
    assert [overrides.filters_said(r) for r in out] == [(r.verdict, r.reasons) for r in rows]
    assert overrides.apply(out, decisions) == out
    # Withdrawn decisions put the rows back as the filters left them.
    assert [(r.verdict, r.reasons) for r in overrides.apply(out, {})] == [(r.verdict, r.reasons) for r in rows]
