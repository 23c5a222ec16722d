"""The pipeline's zero-kept outcome line (the flow itself runs in tests/integration and
tests/flows/test_nightly_deployment.py)."""

from __future__ import annotations

import pytest

from flows.pipeline import nothing_kept_line


def test_nothing_kept_line_names_the_top_three_reasons_most_frequent_first():
    curated = {"generated": 9, "kept": 0, "dropped": 9,
               "drops_by_reason": {"unparseable": 2, "output_too_short": 7, "near_duplicate": 3, "blacklisted": 1}}
    assert nothing_kept_line(curated) == \
        "0 of 9 candidates passed; top reasons: output_too_short (7), near_duplicate (3), unparseable (2)"


def test_nothing_kept_line_with_no_candidates():
    assert nothing_kept_line({"generated": 0, "kept": 0, "drops_by_reason": {}}) == \
        "0 of 0 candidates passed; top reasons: none recorded"


def test_a_cancelled_scheduled_run_is_marked_interrupted(tmp_path, monkeypatch):
    """A deployment run has no CLI around it: Prefect cancels it with SIGTERM, which its flow
    engine raises as TerminationSignal in the flow body. The body's guard records it."""
    from prefect.exceptions import TerminationSignal

    import flows.pipeline as pipeline
    from core.config import PipelineConfig
    from core.store import RunDir

    def cancelled(config, run):
        run.mark_stage("generate")
        raise TerminationSignal(signal=15)

    monkeypatch.setattr(pipeline, "new_run", lambda config, root: pipeline.create_run(root, config, "pipeline", "n1"))
    monkeypatch.setattr(pipeline, "run_stages", cancelled)
    with pytest.raises(TerminationSignal):
        pipeline.pipeline_flow.fn(PipelineConfig(), str(tmp_path))  # the flow's body, as the engine calls it
    status = RunDir.open(tmp_path, "n1").status
    assert (status["status"], status["stage"], status["error"]) == ("interrupted", "curate", "interrupted by SIGTERM")
