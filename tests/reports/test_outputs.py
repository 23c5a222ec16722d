import json

from datasets import load_from_disk

from core.records import LedgerRow, user_prompt
from core.store import RunDir
from reports.outputs import read_ledger, write_curated

CARD = {"teacher": "fake:teacher", "seeds": "seeds/tasks.jsonl"}


def rows():
    return [
        LedgerRow(id="r-1", verdict="kept", instruction="Translate into Korean.", input="Good morning",
                  output="좋은 아침입니다.", finish_reason="stop", similarity=0.2, neighbour_id="p-3",
                  neighbour_text="Translate into English.", meta={"run_id": "r", "seed_ids": ["s1", "s2"]}),
        LedgerRow(id="r-2", verdict="kept", instruction="Name three rivers in Asia.",
                  output="Mekong, Yangtze, Ganges.", finish_reason="stop", similarity=0.0),
        LedgerRow(id="r-3", verdict="dropped", reasons=["instruction_too_short", "exact_duplicate"],
                  instruction="Hi.", output="Hello.", finish_reason="stop", similarity=1.0, neighbour_id="r-2"),
        LedgerRow(id="r-4", verdict="dropped", reasons=["unparseable"], parse_error="instance: empty reply",
                  raw="", finish_reason="length"),
        LedgerRow(id="r-5", verdict="dropped", reasons=["exact_duplicate"], instruction="Name three rivers in Asia.",
                  output="Nile.", finish_reason="stop", similarity=1.0, neighbour_id="r-2"),
    ]


def curated(tmp_path, ledger):
    run = RunDir.create(tmp_path, "r", "", kind="curate")
    return run, write_curated(run, ledger, CARD)


def test_summary_counts(tmp_path):
    _, summary = curated(tmp_path, rows())
    assert (summary["generated"], summary["kept"], summary["dropped"]) == (5, 2, 3)
    assert summary["kept"] + summary["dropped"] == summary["generated"]
    assert summary["drops_by_reason"] == {"unparseable": 1, "instruction_too_short": 1, "exact_duplicate": 2}


def test_ledger_round_trips(tmp_path):
    run, _ = curated(tmp_path, rows())
    assert read_ledger(run.file("ledger.parquet")) == rows()


def test_chat_jsonl_joins_instruction_and_input(tmp_path):
    run, _ = curated(tmp_path, rows())
    lines = run.file("data.jsonl").read_text(encoding="utf-8").splitlines()
    data = [json.loads(line) for line in lines]
    assert [d["id"] for d in data] == ["r-1", "r-2"]
    assert data[0]["messages"] == [{"role": "user", "content": "Translate into Korean.\n\nGood morning"},
                                   {"role": "assistant", "content": "좋은 아침입니다."}]
    assert data[1]["messages"][0] == {"role": "user", "content": "Name three rivers in Asia."}
    assert data[0]["meta"] == {"run_id": "r", "seed_ids": ["s1", "s2"]}


def test_user_prompt_from_dict():
    assert user_prompt({"instruction": "Add.", "input": "2 3"}) == "Add.\n\n2 3"
    assert user_prompt({"instruction": "Add 2 and 3."}) == "Add 2 and 3."


def test_alpaca_export(tmp_path):
    run, _ = curated(tmp_path, rows())
    assert json.loads(run.file("alpaca.json").read_text(encoding="utf-8")) == [
        {"instruction": "Translate into Korean.", "input": "Good morning", "output": "좋은 아침입니다."},
        {"instruction": "Name three rivers in Asia.", "input": "", "output": "Mekong, Yangtze, Ganges."},
    ]


def test_hf_dataset_holds_only_kept_rows(tmp_path):
    run, _ = curated(tmp_path, rows())
    ds = load_from_disk(str(run.file("dataset")))
    assert ds["id"] == ["r-1", "r-2"]
    assert ds[0]["messages"][1] == {"role": "assistant", "content": "좋은 아침입니다."}


def test_card_lists_counts_per_reason(tmp_path):
    run, summary = curated(tmp_path, rows())
    card = run.file("README.md").read_text(encoding="utf-8")
    for line in ["| generated | 5 |", "| kept | 2 |", "| dropped | 3 |", "| unparseable | 1 |",
                 "| instruction_too_short | 1 |", "| exact_duplicate | 2 |", "- **teacher**: fake:teacher",
                 f"- **data fingerprint**: {summary['data_fingerprint']}"]:
        assert line + "\n" in card


def test_fingerprint_follows_the_kept_data(tmp_path):
    _, a = curated(tmp_path / "a", rows())
    _, b = curated(tmp_path / "b", rows())
    changed = rows()
    changed[1] = changed[1].model_copy(update={"output": "Mekong."})
    _, c = curated(tmp_path / "c", changed)
    assert a["data_fingerprint"] == b["data_fingerprint"] != c["data_fingerprint"]


def test_all_dropped_run_writes_empty_exports(tmp_path):
    dropped = [r for r in rows() if r.verdict == "dropped"]
    run, summary = curated(tmp_path, dropped)
    assert (summary["generated"], summary["kept"], summary["dropped"]) == (3, 0, 3)
    assert run.file("data.jsonl").read_text() == ""
    assert json.loads(run.file("alpaca.json").read_text()) == []
    assert len(read_ledger(run.file("ledger.parquet"))) == 3
    assert "| kept | 0 |\n" in run.file("README.md").read_text(encoding="utf-8")


def test_all_dropped_run_writes_a_loadable_empty_dataset(tmp_path):
    run, _ = curated(tmp_path, [r for r in rows() if r.verdict == "dropped"])
    ds = load_from_disk(str(run.file("dataset")))
    assert len(ds) == 0 and set(ds.column_names) == {"id", "messages"}
