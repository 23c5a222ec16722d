"""Per-night novelty figures and the verdict on each night, on hand-built ledgers."""

from __future__ import annotations

import json

from core.records import LedgerRow
from reports.console import yield_line
from reports.run_list import list_runs
from reports.novelty import nights, novelty_figures, novelty_table, verdicts

POOL = [{"id": "n1-0", "instruction": "Write a poem about rain."},
        {"id": "n1-1", "instruction": "Summarize the article in two sentences."}]
SEEDS = ["Translate the sentence into Korean.", "Give the opposite of the word."]


def row(i, text, reasons=(), neighbour=None):
    return LedgerRow(id=f"n2-{i}", instruction=text, output="ok", verdict="dropped" if reasons else "kept",
                     reasons=list(reasons), neighbour_id=neighbour, similarity=1.0 if neighbour else None)


ROWS = [
    row(0, "Write a poem about snow."),                    # kept, (write, poem) the pool has
    row(1, "Compose a limerick about cats."),              # kept, (compose, limerick) new
    row(2, "Translate the menu into Korean."),             # kept, (translate, menu) new
    row(3, "Translate the sentence into Korean.", ["exact_duplicate"], "seed_1"),
    row(4, "Write a poem about rain.", ["exact_duplicate"], "n1-0"),
    row(5, "Summarize the article in three sentences.", ["near_duplicate"], "n1-1"),
    row(6, "Compose a limerick about dogs.", ["near_duplicate"], "n2-1"),
    row(7, "Write", ["instruction_too_short"]),
]


def test_figures_count_new_rows_pool_growth_new_pairs_and_where_duplicates_came_from():
    got = novelty_figures(ROWS, POOL, SEEDS, {"seed_0", "seed_1"})
    assert got == {
        "new_rows": 3, "pool_before": 2, "pool_after": 5,
        "new_pairs": 2,  # (compose, limerick) and (translate, menu); (write, poem) was in the pool
        "dup_of_earlier_nights": 2, "dup_of_earlier_nights_share": 0.25,
        "dup_of_seeds": 1, "dup_within_run": 1,
    }


def test_a_night_that_only_repeats_the_pool_adds_nothing():
    rows = [row(0, "Write a poem about rain.", ["exact_duplicate"], "n1-0"),
            row(1, "Summarize the article in two sentences.", ["exact_duplicate"], "n1-1")]
    got = novelty_figures(rows, POOL, SEEDS)
    assert (got["new_rows"], got["pool_after"], got["new_pairs"], got["dup_of_earlier_nights_share"]) == (0, 2, 0, 1.0)


def test_verdicts_flag_nothing_new_and_fading_nights():
    history = [{"new_rows": n} for n in (24, 20, 22, 9, 0, 25)]
    assert verdicts(history) == ["ok", "ok", "ok", "fading", "nothing new", "ok"]


def write_night(root, run_id, created, figures, generated=40):
    d = root / "runs" / run_id
    d.mkdir(parents=True)
    status = {"run_id": run_id, "kind": "pipeline", "status": "completed", "created": created,
              "stages": {"generate": {"candidates": generated, "kept": figures["new_rows"], "target": 24,
                                      "reached": figures["new_rows"] >= 24, "rounds": [{}, {}]},
                         "curate": {"generated": generated, "kept": figures["new_rows"],
                                    "dropped": generated - figures["new_rows"],
                                    "drops_by_reason": {"exact_duplicate": generated - figures["new_rows"]},
                                    "novelty": figures}}}
    (d / "status.json").write_text(json.dumps(status), encoding="utf-8")


def figures(new, before):
    return {"new_rows": new, "pool_before": before, "pool_after": before + new, "new_pairs": new // 2,
            "dup_of_earlier_nights": 40 - new, "dup_of_earlier_nights_share": (40 - new) / 40,
            "dup_of_seeds": 0, "dup_within_run": 0}


def test_runs_lists_the_nights_figures_and_warns_about_a_night_that_found_nothing(tmp_path):
    from rich.console import Console

    write_night(tmp_path, "night-1", "2026-01-01T02:00:00+00:00", figures(24, 0))
    write_night(tmp_path, "night-2", "2026-01-02T02:00:00+00:00", figures(20, 24))
    write_night(tmp_path, "night-3", "2026-01-03T02:00:00+00:00", figures(0, 44))
    history = nights(tmp_path)
    assert [n["run_id"] for n in history] == ["night-1", "night-2", "night-3"]
    table = novelty_table(history)
    assert [(r["run"], r["verdict"], r["new rows"], r["pool"]) for r in table] == [
        ("night-3", "nothing new", 0, 44), ("night-2", "ok", 20, 44), ("night-1", "ok", 24, 24)]
    console = Console(record=True, width=200)
    list_runs(console, tmp_path)
    text = console.export_text()
    assert "44 (+20)" in text and "100%" in text
    assert "night-3: nothing new (0 new rows; 100% of its rows repeated earlier nights)" in text


def test_the_yield_line_says_kept_of_generated_top_drops_and_a_missed_target(tmp_path):
    write_night(tmp_path, "weak", "2026-01-01T02:00:00+00:00", figures(6, 0))
    status = json.loads((tmp_path / "runs" / "weak" / "status.json").read_text())
    line = yield_line(status)
    assert line.startswith("kept 6 of 40 generated (15%); top drops: exact_duplicate 34 (85%); 2 rounds, "
                           "target 24 NOT reached: the teacher's yield is low")
    assert "pool 0 -> 6, 3 new verb-object pairs, 85% dropped as duplicates of earlier nights" in line
