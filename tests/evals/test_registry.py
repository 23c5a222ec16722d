import json

import pytest

from core.errors import GerminateError
from evals.registry import load, record


def entry(run_id, acc, promote=True):
    return {"run_id": run_id, "adapter": f"runs/{run_id}/adapter", "base_model": "tiny-base",
            "scores": {"acc": acc}, "decision": {"promote": promote, "reason": "test"}}


def test_empty_registry_when_no_file(tmp_path):
    registry = load(tmp_path)
    assert registry == {"champion": None, "history": []}


def test_registry_round_trip(tmp_path):
    recorded = record(tmp_path, entry("r1", 0.5), promote=True)
    on_disk = json.loads((tmp_path / "registry.json").read_text(encoding="utf-8"))
    assert on_disk["champion"] == {"run_id": "r1", "adapter": "runs/r1/adapter",
                                   "base_model": "tiny-base", "scores": {"acc": 0.5}}
    [row] = on_disk["history"]
    assert row["run_id"] == "r1" and row["promoted"] is True and row["time"]
    assert row["decision"] == {"promote": True, "reason": "test"}
    assert load(tmp_path) == recorded == on_disk


def test_a_time_given_by_the_caller_is_kept(tmp_path):
    registry = record(tmp_path, {**entry("r1", 0.5), "time": "2025-01-02T03:04:05+00:00"}, promote=False)
    assert registry["history"][0]["time"] == "2025-01-02T03:04:05+00:00"
    assert registry["champion"] is None


def test_nan_scores_are_stored_as_null(tmp_path):
    record(tmp_path, entry("r1", float("nan")), promote=True)
    on_disk = json.loads((tmp_path / "registry.json").read_text(encoding="utf-8"),
                         parse_constant=lambda name: pytest.fail(f"{name} written to the registry"))
    assert on_disk["champion"]["scores"] == {"acc": None}


def test_champion_unchanged_when_not_promoted(tmp_path):
    record(tmp_path, entry("r1", 0.5), promote=True)
    registry = record(tmp_path, entry("r2", 0.4, promote=False), promote=False)
    assert registry["champion"]["run_id"] == "r1"
    assert [h["run_id"] for h in registry["history"]] == ["r1", "r2"]
    assert [h["promoted"] for h in registry["history"]] == [True, False]
    assert load(tmp_path)["champion"]["run_id"] == "r1"


def test_promotion_replaces_the_champion(tmp_path):
    record(tmp_path, entry("r1", 0.5), promote=True)
    registry = record(tmp_path, entry("r2", 0.9), promote=True)
    assert registry["champion"]["run_id"] == "r2" and registry["champion"]["scores"] == {"acc": 0.9}


def test_recording_a_run_again_replaces_its_entry(tmp_path):
    record(tmp_path, entry("r1", 0.5), promote=True)
    record(tmp_path, entry("r2", 0.4, promote=False), promote=False)
    record(tmp_path, entry("r3", 0.3, promote=False), promote=False)
    registry = record(tmp_path, entry("r2", 0.8), promote=True)
    assert [h["run_id"] for h in registry["history"]] == ["r1", "r2", "r3"]  # in place, no duplicate
    assert registry["history"][1]["scores"] == {"acc": 0.8} and registry["history"][1]["promoted"] is True
    assert registry["champion"]["run_id"] == "r2"
    again = record(tmp_path, entry("r2", 0.8), promote=True)
    assert [h["run_id"] for h in again["history"]] == ["r1", "r2", "r3"]


def test_corrupt_registry_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text('{"champion": null, "history": [', encoding="utf-8")
    with pytest.raises(GerminateError, match="registry.json.*corrupt"):
        load(tmp_path)
    with pytest.raises(GerminateError, match="registry.json"):
        record(tmp_path, entry("r1", 0.5), promote=True)
    assert path.read_text(encoding="utf-8") == '{"champion": null, "history": ['  # not reset


def test_registry_with_the_wrong_shape_is_an_error(tmp_path):
    (tmp_path / "registry.json").write_text('{"champion": {"run_id": "r1"}, "history": []}')
    with pytest.raises(GerminateError, match="registry.json.*champion.adapter"):
        load(tmp_path)
    (tmp_path / "registry.json").write_text("[]")
    with pytest.raises(GerminateError, match="registry.json"):
        load(tmp_path)


def test_entry_without_run_id_is_an_error(tmp_path):
    bad = entry("r1", 0.5)
    del bad["run_id"]
    with pytest.raises(GerminateError, match="run_id"):
        record(tmp_path, bad, promote=True)
    assert not (tmp_path / "registry.json").exists()
