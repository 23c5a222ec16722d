import json
import re

import pytest

from core.errors import GerminateError
from core.paths import DEFAULT_EVAL_SET, DEFAULT_SEEDS, REPO_ROOT
from core.records import load_tasks, read_jsonl

HANGUL = re.compile("[\uac00-\ud7a3]")
SHARED_SEEDS = REPO_ROOT.parent / "shared" / "data" / "self_instruct_seed_tasks.jsonl"


def task(id, instruction="Write a poem about rain.", **kw):
    row = {"id": id, "instruction": instruction, "instances": [{"input": "", "output": "Drops on the roof."}]}
    row.update(kw)
    return json.dumps(row, ensure_ascii=False)


def write(tmp_path, lines, name="x.jsonl"):
    path = tmp_path / name
    data = b"".join((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n" for line in lines)
    path.write_bytes(data)
    return path


def raises(message):
    return pytest.raises(GerminateError, match=f"^{re.escape(message)}$")


def test_load_good_file(tmp_path):
    path = write(tmp_path, [
        task("a", is_classification=True),
        "",
        task("b", "다음 문장을 영어로 번역하세요.", name="translate_ko", extra_field=1),
    ])
    a, b = load_tasks(path)
    assert (a.id, a.is_classification, a.instances[0].output) == ("a", True, "Drops on the roof.")
    assert (b.id, b.name, b.instruction, b.is_classification) == ("b", "translate_ko", "다음 문장을 영어로 번역하세요.", False)


def test_malformed_json_names_the_line(tmp_path):
    path = write(tmp_path, [task("a"), task("b"), '{"id": "c", "instruction": '])
    with pytest.raises(GerminateError, match=f"^{re.escape(f'{path}:3: malformed JSON (')}"):
        load_tasks(path)


def test_invalid_utf8_names_the_line(tmp_path):
    path = write(tmp_path, [task("a"), b'{"id": "b", "instruction": "caf\xe9"}'])
    with raises(f"{path}:2: not valid UTF-8"):
        load_tasks(path)


def test_non_object_line(tmp_path):
    path = write(tmp_path, [task("a"), '["not", "a", "task"]'])
    with raises(f"{path}:2: expected a JSON object"):
        load_tasks(path)


def test_missing_field_names_field_and_line(tmp_path):
    path = write(tmp_path, [task("a"), json.dumps({"id": "b", "instances": [{"output": "x"}]})])
    with raises(f"{path}:2: bad task field 'instruction': Field required"):
        load_tasks(path)


def test_line_numbers_count_blank_lines(tmp_path):
    path = write(tmp_path, [task("a"), "", "   ", json.dumps({"id": "b", "instruction": "x", "instances": [{}]})])
    with raises(f"{path}:4: bad task field 'instances.0.output': Field required"):
        load_tasks(path)


def test_line_numbers_count_unicode_blank_lines(tmp_path):
    path = write(tmp_path, [task("a"), "\u3000", json.dumps({"id": "b", "instruction": "x", "instances": []})])
    with pytest.raises(GerminateError, match=f"^{re.escape(f'{path}:3: bad task field')}"):
        load_tasks(path)


def test_duplicate_ids(tmp_path):
    path = write(tmp_path, [task("a"), task("b"), task("a", "Name three rivers.")])
    with raises(f"{path}:3: duplicate task id 'a'"):
        load_tasks(path)


def test_empty_file(tmp_path):
    path = write(tmp_path, ["", "  "])
    with raises(f"{path}: no seeds tasks in file"):
        load_tasks(path)
    with raises(f"{path}: no eval tasks in file"):
        load_tasks(path, what="eval")


def test_missing_file(tmp_path):
    with raises(f"file not found: {tmp_path / 'none.jsonl'}"):
        read_jsonl(tmp_path / "none.jsonl")


def test_shipped_seed_tasks_are_bilingual():
    tasks = load_tasks(DEFAULT_SEEDS)
    assert len(tasks) >= 40
    korean = [t for t in tasks if HANGUL.search(t.instruction)]
    english = [t for t in tasks if t.instruction.isascii()]
    assert korean and english
    assert any(t.is_classification for t in tasks) and any(not t.is_classification for t in tasks)


def test_shipped_eval_set_loads_and_is_disjoint_from_seeds():
    evals = load_tasks(DEFAULT_EVAL_SET, what="eval")
    seeds = load_tasks(DEFAULT_SEEDS)
    assert evals
    assert not {t.id for t in evals} & {t.id for t in seeds}
    assert not {t.instruction for t in evals} & {t.instruction for t in seeds}


@pytest.mark.skipif(not SHARED_SEEDS.is_file(), reason="shared Self-Instruct seed file not present")
def test_original_self_instruct_seeds_load():
    tasks = load_tasks(SHARED_SEEDS)
    assert len(tasks) == 175
    assert tasks[0].id == "seed_task_0"
