"""What check_evaluation rejects before generation, and what it only warns about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import load_config, parse_override
from core.errors import GerminateError
from core.paths import DEFAULT_SEEDS
from flows.evaluate_checks import check_evaluation, seeds_overlapping_eval
from generators.serve import free_port

EVAL_SMALL = Path(__file__).resolve().parents[1] / "data" / "eval_small.jsonl"


def cfg(*sets):
    return load_config(None, [parse_override(s) for s in sets])


def write_tasks(path: Path, tasks: list[dict]) -> Path:
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks), encoding="utf-8")
    return path


def test_the_defaults_pass_without_warnings():
    assert check_evaluation(cfg()) == []


def test_judge_win_rate_with_the_judge_off_is_rejected():
    with pytest.raises(GerminateError, match="primary_metric is judge_win_rate but the judge is off"):
        check_evaluation(cfg("evaluate.primary_metric=judge_win_rate"))


@pytest.mark.parametrize("metric", ["constraint_accuracy", "instruction_accuracy_loose"])
def test_constraint_metric_on_an_eval_set_without_constraints_is_rejected(tmp_path, metric):
    plain = write_tasks(tmp_path / "plain.jsonl", [
        {"id": "e1", "instruction": "Name a colour.", "instances": [{"input": "", "output": "Red."}]}])
    with pytest.raises(GerminateError, match=f"primary_metric is {metric} but no task in .*plain.jsonl has constraints"):
        check_evaluation(cfg(f"evaluate.eval_set={plain}", f"evaluate.primary_metric={metric}"))
    # rouge_l on the same set is fine (and warns: curation decontaminates against another set).
    [warning] = check_evaluation(cfg(f"evaluate.eval_set={plain}"))
    assert "differs from curate.decontamination.eval_set" in warning


def test_an_unreachable_judge_is_rejected():
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with pytest.raises(GerminateError, match=f"judge unreachable at {url}"):
        check_evaluation(cfg("evaluate.judge.backend=openai", "evaluate.judge.model=judge",
                             f"evaluate.judge.base_url={url}"))


def test_a_malformed_constraint_is_rejected_naming_the_task(tmp_path):
    bad = write_tasks(tmp_path / "bad.jsonl", [
        {"id": "e7", "instruction": "Say hi.", "instances": [{"input": "", "output": "hi"}],
         "constraints": [{"type": "word_count"}]}])
    with pytest.raises(GerminateError, match="bad.jsonl: task e7: constraint .*'min', 'max'"):
        check_evaluation(cfg(f"evaluate.eval_set={bad}", f"curate.decontamination.eval_set={bad}"))


def test_an_empty_eval_set_is_rejected(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(GerminateError, match="no eval tasks"):
        check_evaluation(cfg(f"evaluate.eval_set={empty}"))


def test_no_decontamination_set_is_a_warning():
    [warning] = check_evaluation(cfg("curate.decontamination.eval_set=null"))
    assert "differs from curate.decontamination.eval_set (None)" in warning


def test_seeds_that_overlap_the_eval_set_are_a_warning(tmp_path):
    evals = [json.loads(line) for line in EVAL_SMALL.read_text(encoding="utf-8").splitlines()]
    copied = dict(evals[2], id="my_seed_1")  # a seed that is an eval task
    seeds = write_tasks(tmp_path / "seeds.jsonl", [json.loads(DEFAULT_SEEDS.read_text().splitlines()[0]), copied])
    config = cfg(f"generate.seeds={seeds}", f"evaluate.eval_set={EVAL_SMALL}",
                 f"curate.decontamination.eval_set={EVAL_SMALL}")
    [warning] = check_evaluation(config)
    assert warning == f"1 seed task(s) overlap the eval set (my_seed_1 ~ {evals[2]['id']}); tuning leaves them out"
    from core.records import load_tasks

    assert seeds_overlapping_eval(load_tasks(seeds), EVAL_SMALL, config.curate) == {"my_seed_1": evals[2]["id"]}
    assert check_evaluation(config, seeds=False) == []
