import json
import re

import pytest

from core.errors import GerminateError
from core.inputs import detect_format, read_candidates


def jsonl(tmp_path, rows, name="in.jsonl"):
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def raises(message):
    return pytest.raises(GerminateError, match=f"^{re.escape(message)}$")


def triples(cands):
    return [(c.id, c.instruction, c.input, c.output) for c in cands]


def test_alpaca_json_array(tmp_path):
    path = tmp_path / "alpaca.json"
    path.write_text(json.dumps([
        {"instruction": "Translate into Korean.", "input": "Hello", "output": "안녕하세요"},
        {"instruction": "Name a color.", "output": "Blue"},
    ], ensure_ascii=False), encoding="utf-8")
    out = read_candidates(path, "imp")
    assert triples(out) == [("imp-x000001", "Translate into Korean.", "Hello", "안녕하세요"),
                            ("imp-x000002", "Name a color.", "", "Blue")]
    assert out[1].meta == {"run_id": "imp", "source": str(path), "line": 2, "format": "alpaca"}


def test_alpaca_jsonl_with_null_input(tmp_path):
    path = jsonl(tmp_path, [{"instruction": "Name a color.", "input": None, "output": "Blue"}])
    assert triples(read_candidates(path, "r")) == [("r-x000001", "Name a color.", "", "Blue")]


def test_chat_messages(tmp_path):
    path = jsonl(tmp_path, [
        {"messages": [{"role": "system", "content": "Be brief."},
                      {"role": "user", "content": "What is 2+2?"},
                      {"role": "assistant", "content": "4"},
                      {"role": "user", "content": "And 3+3?"},
                      {"role": "assistant", "content": "6"}]},
        {"messages": [{"role": "user", "content": "Say hi."}]},
    ])
    out = read_candidates(path, "r")
    assert triples(out) == [("r-x000001", "What is 2+2?", "", "4"), ("r-x000002", "Say hi.", "", "")]
    assert out[0].meta["format"] == "messages"


def test_self_instruct_gives_one_candidate_per_instance(tmp_path):
    path = jsonl(tmp_path, [
        {"id": "t1", "instruction": "Classify the sentiment.", "is_classification": True,
         "instances": [{"input": "I love it", "output": "positive"}, {"input": "I hate it", "output": "negative"}]},
        {"id": "t2", "instruction": "Write a haiku.", "instances": [{"output": "An old silent pond"}]},
    ])
    out = read_candidates(path, "r")
    assert triples(out) == [("r-x000001-0", "Classify the sentiment.", "I love it", "positive"),
                            ("r-x000001-1", "Classify the sentiment.", "I hate it", "negative"),
                            ("r-x000002-0", "Write a haiku.", "", "An old silent pond")]
    assert [c.is_classification for c in out] == [True, True, False]
    assert {c.meta["format"] for c in out} == {"self-instruct"}


def test_auto_detection_per_row(tmp_path):
    rows = [{"messages": [{"role": "user", "content": "Hi"}]},
            {"instruction": "Say hi", "instances": [{"output": "Hi"}]},
            {"instruction": "Say hi", "output": "Hi"}]
    assert [detect_format(r) for r in rows] + [detect_format({"prompt": "x"})] == [
        "messages", "self-instruct", "alpaca", None]
    out = read_candidates(jsonl(tmp_path, rows), "r")
    assert [c.meta["format"] for c in out] == ["messages", "self-instruct", "alpaca"]


def test_explicit_format_overrides_detection(tmp_path):
    path = jsonl(tmp_path, [{"instruction": "Say hi", "output": "Hi", "instances": "ignored"}])
    (c,) = read_candidates(path, "r", fmt="alpaca")
    assert (c.instruction, c.output, c.meta["format"]) == ("Say hi", "Hi", "alpaca")


def test_malformed_line_is_named(tmp_path):
    path = jsonl(tmp_path, [{"instruction": "a", "output": "b"}, "", '{"instruction": "c"'])
    with pytest.raises(GerminateError, match=f"^{re.escape(f'{path}:3: malformed JSON (')}"):
        read_candidates(path, "r")


def test_bad_rows_name_their_line(tmp_path):
    path = jsonl(tmp_path, [{"instruction": "a", "output": "b"}, "", {"instruction": "c", "output": 5}])
    with raises(f"{path}:3: field 'output' must be a string"):
        read_candidates(path, "r")
    path = jsonl(tmp_path, [{"messages": [{"role": "assistant", "content": "hi"}]}])
    with raises(f"{path}:1: 'messages' has no user turn"):
        read_candidates(path, "r")
    path = jsonl(tmp_path, [{"messages": "hello"}])
    with raises(f"{path}:1: 'messages' must be a list of {{role, content}} objects"):
        read_candidates(path, "r")
    path = jsonl(tmp_path, [{"instruction": "a", "instances": []}])
    with raises(f"{path}:1: 'instances' must be a non-empty list"):
        read_candidates(path, "r")


def test_unknown_row_format(tmp_path):
    path = jsonl(tmp_path, [{"instruction": "a", "output": "b"}, {"prompt": "a", "completion": "b"}])
    with raises(f"{path}:2: unknown row format (expected 'messages', 'instances' or 'instruction')"):
        read_candidates(path, "r")


def test_json_file_must_hold_an_array_of_objects(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{"instruction": "a"}', encoding="utf-8")
    with raises(f"{path}: expected a JSON array of objects"):
        read_candidates(path, "r")
    path.write_text('[{"instruction": "a"', encoding="utf-8")
    with raises(f"{path}: not a valid JSON file (JSONDecodeError)"):
        read_candidates(path, "r")


def test_missing_and_empty_files(tmp_path):
    with raises(f"input file not found: {tmp_path / 'none.jsonl'}"):
        read_candidates(tmp_path / "none.jsonl", "r")
    path = jsonl(tmp_path, [""])
    with raises(f"{path}: no rows to curate"):
        read_candidates(path, "r")


def test_line_numbers_count_unicode_blank_lines(tmp_path):
    path = jsonl(tmp_path, [{"instruction": "a", "output": "b"}, "\u00a0", {"prompt": "c"}])
    with raises(f"{path}:3: unknown row format (expected 'messages', 'instances' or 'instruction')"):
        read_candidates(path, "r")
