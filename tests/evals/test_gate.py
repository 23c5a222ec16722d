import json

import pytest

from core.errors import GerminateError
from evals.gate import decide, load, record


def test_no_champion_promotes():
    decision = decide({"strict_accuracy": 0.4}, None, "strict_accuracy", margin=0.05)
    assert decision["promote"] is True
    assert decision["reason"] == "no champion yet"
    assert decision["candidate"] == 0.4 and decision["champion"] is None


def test_delta_exactly_at_the_margin_does_not_promote():
    # 0.75 - 0.70 is 0.05000000000000004 in floats: still "equal to the margin".
    decision = decide({"acc": 0.75}, {"acc": 0.70}, "acc", margin=0.05)
    assert decision["promote"] is False
    assert decision["delta"] == pytest.approx(0.05)
    assert "does not exceed" in decision["reason"]


def test_delta_just_above_the_margin_promotes():
    decision = decide({"acc": 0.7501}, {"acc": 0.70}, "acc", margin=0.05)
    assert decision["promote"] is True
    assert decision["delta"] == pytest.approx(0.0501)
    assert "exceeds" in decision["reason"]


def test_zero_margin_needs_a_real_improvement():
    assert decide({"acc": 0.5}, {"acc": 0.5}, "acc", margin=0.0)["promote"] is False
    assert decide({"acc": 0.51}, {"acc": 0.5}, "acc", margin=0.0)["promote"] is True


def test_worse_candidate_is_not_promoted():
    decision = decide({"acc": 0.6}, {"acc": 0.7}, "acc", margin=0.0)
    assert decision["promote"] is False
    assert decision["delta"] == pytest.approx(-0.1)


def test_lower_is_better_metric():
    lower = decide({"heldout_loss": 1.0}, {"heldout_loss": 1.2}, "heldout_loss", margin=0.1,
                   higher_is_better=False)
    assert lower["promote"] is True and lower["delta"] == pytest.approx(0.2)
    higher = decide({"heldout_loss": 1.3}, {"heldout_loss": 1.2}, "heldout_loss", margin=0.0,
                    higher_is_better=False)
    assert higher["promote"] is False and higher["delta"] == pytest.approx(-0.1)
    at_margin = decide({"heldout_loss": 1.1}, {"heldout_loss": 1.2}, "heldout_loss", margin=0.1,
                       higher_is_better=False)
    assert at_margin["promote"] is False


def test_candidate_without_the_metric_value_is_not_promoted():
    for missing in (None, float("nan")):
        decision = decide({"strict_accuracy": missing}, {"strict_accuracy": 0.2},
                          "strict_accuracy", margin=0.0)
        assert decision["promote"] is False
        assert decision["reason"] == "candidate has no 'strict_accuracy' score"


def test_champion_without_the_metric_value_is_not_promoted():
    decision = decide({"acc": 0.9}, {"other": 0.1}, "acc", margin=0.0)
    assert decision["promote"] is False
    assert "champion has no 'acc' score" in decision["reason"]


def test_metric_name_typo_is_an_error():
    with pytest.raises(GerminateError, match="'acuracy'.*acc"):
        decide({"acc": 0.9}, None, "acuracy", margin=0.0)
    with pytest.raises(GerminateError, match="margin"):
        decide({"acc": 0.9}, None, "acc", margin=-0.1)


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
