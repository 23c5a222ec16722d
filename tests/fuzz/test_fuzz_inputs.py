"""Input files of every shape: the readers return rows or raise GerminateError, nothing else.

`load_tasks` (seed and eval files), `read_jsonl` and `read_candidates` (Alpaca, chat messages,
Self-Instruct; `.json` arrays and JSONL) over invalid UTF-8, wrong types, blank and 1 MB
lines, BOMs and CRLFs.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import GerminateError
from core.inputs import FORMATS, read_candidates
from core.records import Candidate, SeedTask, load_tasks
from core.store import atomic_write_jsonl

EXAMPLES = int(os.environ.get("GERMINATE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = ["instruction", "input", "output", "messages", "instances", "id", "name", "is_classification",
        "role", "content", "constraints"]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=4),
                           max_leaves=10)


@st.composite
def rows(draw) -> dict:
    """Rows that look like one of the formats, with a type wrong here and there."""
    kind = draw(st.sampled_from(["alpaca", "messages", "self-instruct", "task", "random"]))
    text = st.text(max_size=40)
    if kind == "alpaca":
        row = {"instruction": draw(text), "input": draw(text), "output": draw(text)}
    elif kind == "messages":
        row = {"messages": [{"role": draw(st.sampled_from(["user", "assistant", "system", "tool"])),
                             "content": draw(text)} for _ in range(draw(st.integers(0, 3)))]}
    elif kind in ("self-instruct", "task"):
        row = {"id": draw(st.sampled_from(["t1", "t2", "t3"])), "instruction": draw(text),
               "instances": [{"input": draw(text), "output": draw(text)} for _ in range(draw(st.integers(0, 2)))],
               "is_classification": draw(st.booleans())}
    else:
        row = draw(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5))
    for _ in range(draw(st.integers(0, 2))):  # break a type
        row[draw(st.sampled_from(KEYS))] = draw(json_values)
    return row


@st.composite
def lines(draw) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=60))  # anything, invalid UTF-8 included
    if choice == 1:
        return draw(st.sampled_from([b"", b"   ", b"\r", b"\xef\xbb\xbf{}", b"null", b"[]", b"NaN", b'"x"', b"{",
                                     b'{"instruction": "\xff\xfe"}', b"\x00\x00", "{\"a\": \"\u2028\"}".encode()]))
    data = json.dumps(draw(rows()), ensure_ascii=draw(st.booleans())).encode()
    if choice == 2:
        return data[: draw(st.integers(0, len(data)))]  # cut off
    if choice == 3:
        return data + b"\r"  # CRLF file
    return data


files = st.lists(lines(), max_size=8).map(b"\n".join)
fmts = st.sampled_from(FORMATS)


def _write(tmp: str, name: str, data: bytes) -> Path:
    path = Path(tmp) / name
    path.write_bytes(data)
    return path


def assert_rows_or_germinate_error(call, path: Path):
    try:
        out = call()
    except GerminateError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg
        assert str(path) in msg, msg  # the error names the file
        return None
    assert isinstance(out, list) and out
    return out


@FUZZ
@given(files, fmts)
def test_read_candidates_returns_rows_or_raises_germinate_error(data, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "in.jsonl", data)
        out = assert_rows_or_germinate_error(lambda: read_candidates(path, "run", fmt), path)
        if out is not None:
            assert all(isinstance(c, Candidate) and isinstance(c.instruction, str) and isinstance(c.output, str)
                       for c in out)
            assert len({c.id for c in out}) == len(out)


@FUZZ
@given(st.lists(rows() | json_values, max_size=6), fmts)
def test_json_array_files_return_rows_or_raise_germinate_error(items, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "in.json", json.dumps(items).encode())
        assert_rows_or_germinate_error(lambda: read_candidates(path, "run", fmt), path)


@FUZZ
@given(files | st.binary(max_size=200))
def test_json_files_with_garbage_raise_germinate_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "in.json", data)
        assert_rows_or_germinate_error(lambda: read_candidates(path, "run"), path)


@FUZZ
@given(files)
def test_load_tasks_returns_tasks_or_raises_germinate_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "seeds.jsonl", data)
        out = assert_rows_or_germinate_error(lambda: load_tasks(path), path)
        if out is not None:
            assert all(isinstance(t, SeedTask) for t in out)
            assert len({t.id for t in out}) == len(out)


TASK = {"id": "t{}", "instruction": "Name a river.", "instances": [{"input": "", "output": "Nile"}]}


@FUZZ
@given(st.integers(0, 5), st.binary(min_size=1, max_size=40).filter(lambda b: _invalid_utf8(b)), st.booleans())
def test_invalid_utf8_in_a_seed_file_names_its_line(good, junk, wrapped):
    lines_ = [json.dumps(dict(TASK, id=f"t{i}")).encode() for i in range(good)]
    bad = b'{"id": "x", "instruction": "' + junk.replace(b"\n", b" ") + b'"}' if wrapped else junk.replace(b"\n", b" ")
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "seeds.jsonl", b"\n".join(lines_ + [bad]) + b"\n")
        with pytest.raises(GerminateError) as err:
            load_tasks(path)
    assert f"seeds.jsonl:{good + 1}: not valid UTF-8" in str(err.value)


def _invalid_utf8(b: bytes) -> bool:
    try:
        b.replace(b"\n", b" ").decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@settings(max_examples=max(2, EXAMPLES // 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="abc 가나 \t\"\\{}", min_size=1, max_size=8), fmts)
def test_megabyte_lines_are_read(chunk, fmt):
    big = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "big.jsonl", b"\n".join([
            json.dumps({"instruction": big, "input": "", "output": big}).encode(),
            json.dumps({"messages": [{"role": "user", "content": big}, {"role": "assistant", "content": "ok"}]}).encode(),
            json.dumps(dict(TASK, instruction=big)).encode(),
        ]))
        out = assert_rows_or_germinate_error(lambda: read_candidates(path, "run", fmt), path)
        if fmt == "auto":
            assert len(out) == 3 and len(out[0].instruction) == 1_000_000
        assert_rows_or_germinate_error(lambda: load_tasks(path), path)


# --- bugs found ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["seeds.jsonl", "data.json"])
def test_deeply_nested_json_is_a_germinate_error(tmp_path, name):
    path = tmp_path / name
    path.write_text('{"instruction": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(GerminateError):
        load_tasks(path) if name.endswith(".jsonl") else read_candidates(path, "run")


@pytest.mark.parametrize("name", ["seeds.jsonl", "data.json"])
def test_huge_integer_is_a_germinate_error(tmp_path, name):
    path = tmp_path / name
    path.write_text('{"id": "t1", "instruction": ' + "9" * 5000 + "}\n")
    with pytest.raises(GerminateError):
        load_tasks(path) if name.endswith(".jsonl") else read_candidates(path, "run")


def test_rows_read_can_be_written_back(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"instruction": "Smile \\ud83d please.", "output": "ok"}\n')
    candidates = read_candidates(path, "run")
    atomic_write_jsonl(tmp_path / "candidates.jsonl", [c.model_dump() for c in candidates])


# --- germinate's own JSONL files (candidates, pool, requests) --------------------------------

@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(["id", "instruction", "output"]), st.text(max_size=20)), max_size=5))
@example([{"id": "a", "instruction": "Write\u2028a poem."}])
def test_jsonl_germinate_writes_reads_back_equal(rows_):
    from core.store import read_jsonl_rows

    with tempfile.TemporaryDirectory() as tmp:
        atomic_write_jsonl(Path(tmp) / "c.jsonl", rows_)
        assert read_jsonl_rows(Path(tmp) / "c.jsonl") == rows_


def test_a_line_separator_in_a_kept_row_does_not_poison_the_pool(tmp_path):
    from core import pool
    from core.records import LedgerRow

    pool.add_run(tmp_path, "r1", [LedgerRow(id="r1-0", instruction="Explain\u2028tides.", output="ok", verdict="kept")])
    assert [r["id"] for r in pool.load_pool(tmp_path)] == ["r1-0"]
