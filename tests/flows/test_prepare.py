"""Run seeds: every night its own, recorded at creation, the same on resume; a fixed one stays fixed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import yaml

from core.config import load_config, parse_override
from core.store import RunDir
from flows.prepare import create_run, derive_run_seed, recorded_config, with_run_seed
from generators import self_instruct as si
from core.records import load_tasks


def nightly_ids(n: int) -> list[str]:
    """Run ids as a nightly schedule makes them (new_run_id's format, one per day at 02:00)."""
    start = datetime(2026, 1, 1, 2, 0, 0, 123456, tzinfo=timezone.utc)
    return [(start + timedelta(days=d)).strftime("%Y%m%d-%H%M%S-%f") for d in range(n)]


def test_every_night_of_a_year_gets_its_own_seed_and_the_same_id_the_same_seed():
    ids = nightly_ids(365)
    seeds = [derive_run_seed(i) for i in ids]
    assert len(set(seeds)) == 365
    assert all(0 <= s < 2**31 for s in seeds)
    assert [derive_run_seed(i) for i in ids] == seeds
    # Named runs too.
    assert derive_run_seed("night-1") != derive_run_seed("night-2")


def test_create_run_records_a_derived_seed_and_resume_reads_it_back(tmp_path):
    cfg = load_config(None)
    assert cfg.generate.run_seed is None  # the default: a fresh seed per run
    one = create_run(tmp_path, cfg, "pipeline", "20260101-020000-000001")
    two = create_run(tmp_path, cfg, "pipeline", "20260102-020000-000001")
    seed_one = yaml.safe_load(one.file("config.yaml").read_text())["generate"]["run_seed"]
    seed_two = yaml.safe_load(two.file("config.yaml").read_text())["generate"]["run_seed"]
    assert seed_one == derive_run_seed(one.run_id) and seed_two == derive_run_seed(two.run_id)
    assert seed_one != seed_two
    # `resume` re-reads the snapshot: the seed it finds is the one the run started with, and
    # so are the requests it rebuilds.
    reopened = recorded_config(RunDir.open(tmp_path, one.run_id))
    assert reopened.generate.run_seed == seed_one
    seeds = load_tasks(reopened.generate.seeds)
    started = si.instruction_requests(seeds, [], with_run_seed(cfg, one.run_id).generate, 0, 4)
    resumed = si.instruction_requests(seeds, [], reopened.generate, 2, 2)
    assert [(r.seed, r.messages) for r in resumed] == [(r.seed, r.messages) for r in started[2:]]
    other = si.instruction_requests(seeds, [], recorded_config(two).generate, 0, 4)
    assert [r.messages for r in other] != [r.messages for r in started]


def test_a_fixed_run_seed_stays_fixed(tmp_path):
    cfg = load_config(None, [parse_override("generate.run_seed=7")])
    run = create_run(tmp_path, cfg, "generate")
    assert recorded_config(run).generate.run_seed == 7
    assert with_run_seed(cfg, "any-id") is cfg


def test_preflight_loads_a_languages_own_teacher_only_when_the_seeds_have_that_language(tmp_path, monkeypatch):
    import json

    import flows.prepare as fp

    built = []
    monkeypatch.setattr(fp, "preflight_teacher", lambda t, cluster=None: built.append(t.model))
    english = tmp_path / "en.jsonl"
    english.write_text(json.dumps({"id": "e", "instruction": "Name a colour.",
                                   "instances": [{"input": "", "output": "Red."}]}) + "\n", encoding="utf-8")
    no_quality = [parse_override(f"curate.quality.{s}.enabled=false") for s in ("fluency", "classifier")]
    fp.preflight(load_config(None, [parse_override(f"generate.seeds={english}"), *no_quality]), evaluation=False)
    assert built == ["embedded:smollm2-135m-instruct"]
    built.clear()
    fp.preflight(load_config(None, no_quality), evaluation=False)  # the shipped seeds: English and Korean
    assert built == ["embedded:smollm2-135m-instruct", "embedded:gemma-3-270m"]
    # The card says who wrote what.
    assert fp.provenance(load_config(None).generate)["teachers by language"] == {"ko": "vllm:embedded:gemma-3-270m (base)"}
    assert "teachers by language" not in fp.provenance(load_config(None, [parse_override("generate.language_teachers={}")]).generate)
