"""The judge's mechanics against a REAL vLLM OpenAI-compatible server of the embedded teacher.

One server for the module. What is checked is the plumbing, not the 135M model's taste: the
preflight reaches the judge endpoint; every item is asked in both orders in one batch, over
HTTP, with the verdict schema enforced (so every reply parses); the outcomes are counted as the
rules say (a split whenever the two orders name the same slot); the win rate exists exactly when
something was decided. The embedded model is the reason the judge is off by default: the printed
counts show how little it decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import PipelineConfig, TeacherConfig, load_config
from evals.answers import Answer
from evals.bootstrap import Resampler
from evals.judge import OUTCOMES, pair_outcome

pytestmark = pytest.mark.slow

EVAL_SMALL = Path(__file__).resolve().parents[1] / "data" / "eval_small.jsonl"


@pytest.fixture(scope="module")
def judge_url(tmp_path_factory):
    from generators.serve import vllm_server

    log = tmp_path_factory.mktemp("judge") / "server.log"
    with vllm_server(TeacherConfig(), log_path=log) as url:
        yield url


def _config(url: str) -> PipelineConfig:
    return load_config(None, [("evaluate.judge.backend", "openai"), ("evaluate.judge.base_url", url),
                              ("evaluate.judge.model", TeacherConfig().model),
                              ("evaluate.eval_set", str(EVAL_SMALL)),
                              ("curate.decontamination.eval_set", str(EVAL_SMALL))])


def test_judge_over_http_counts_both_orders(judge_url, capsys):
    from flows.evaluate import judge_task
    from flows.evaluate_checks import check_evaluation, eval_items

    cfg = _config(judge_url)
    assert check_evaluation(cfg, seeds=False) == []  # the endpoint answers
    judge = cfg.evaluate.judge.resolve(cfg.generate.teacher)
    assert judge.backend == "openai" and judge.base_url == judge_url
    items = eval_items(EVAL_SMALL)
    # The subject answers with the reference, the opponent with something unhelpful.
    subject = [Answer(it["reference"], "stop", len(it["reference"].split())) for it in items]
    opponent = [Answer("I don't know.", "stop", 4) for _ in items]
    result = judge_task.fn(judge, cfg.evaluate.judge.max_tokens, items, subject, opponent,
                           Resampler.create(len(items), 500))
    assert len(result["verdicts"]) == len(items) == result["n"]
    # Structured output over HTTP: every reply of both orders parsed as a verdict.
    assert all(v in ("A", "B", "tie") for pair in result["verdicts"] for v in pair), result["verdicts"]
    assert result["outcomes"] == [pair_outcome(ab, ba) for ab, ba in result["verdicts"]]
    assert sum(result["counts"][o] for o in OUTCOMES) == len(items)
    assert result["counts"]["undecided"] == 0
    decided = result["counts"]["win"] + result["counts"]["loss"] + result["counts"]["tie"]
    assert result["decided"] == decided
    assert (result["win_rate"] is None) == (decided == 0)
    same_slot = sum(ab == ba and ab != "tie" for ab, ba in result["verdicts"])
    assert result["counts"]["split"] == same_slot
    with capsys.disabled():
        print(f"\nembedded 135M judge over HTTP on {len(items)} items: {result['counts']}, "
              f"win rate {result['win_rate']}, verdicts {result['verdicts']}")
