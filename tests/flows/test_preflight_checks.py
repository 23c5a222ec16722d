"""The preflight's model and disk checks (flows/preflight_checks.py), without any engine."""

from __future__ import annotations

import json

import pytest

from core.config import PipelineConfig, TeacherConfig, load_config
from core.errors import GerminateError
from flows.checkpoint import read_checkpoint
from flows.preflight_checks import check_student, check_teacher_model, check_writable, context_length, model_config


def _cfg(**sets) -> PipelineConfig:
    return load_config(None, list(sets.items()))


def test_student_embedded_typo_names_the_key():
    with pytest.raises(GerminateError, match=r"^tune.student 'embedded:typo': unknown embedded model 'typo'"):
        check_student(_cfg(**{"tune.student": "embedded:typo"}))


def test_uncached_hub_id_fails_without_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GerminateError, match="neither a local model directory nor in the Hugging Face cache"):
        model_config("nobody/no-such-model", "tune.student")


def test_lora_rank_only_limited_for_the_vllm_student_engine():
    with pytest.raises(GerminateError, match=r"tune.lora.r=32 is above .* \(max_lora_rank 8\)"):
        check_student(_cfg(**{"tune.lora.r": 32, "evaluate.backend": "vllm"}))
    check_student(_cfg(**{"tune.lora.r": 32, "evaluate.backend": "transformers"}))
    check_student(_cfg(**{"tune.lora.r": 8, "evaluate.backend": "vllm"}))


def test_teacher_context_read_from_the_model_config():
    limit = context_length(model_config("embedded:smollm2-135m-instruct", "t"))
    assert limit == 8192
    check_teacher_model(TeacherConfig(max_model_len=limit))
    with pytest.raises(GerminateError, match=r"^generate.teacher.max_model_len=8193 is larger than"):
        check_teacher_model(TeacherConfig(max_model_len=limit + 1))
    # A server's model is the server's business: nothing read locally.
    check_teacher_model(TeacherConfig(backend="openai", model="nobody/x", max_model_len=100000))


def test_writable_creates_nothing_and_names_a_file_in_the_way(tmp_path):
    root = tmp_path / "new" / "root"
    check_writable(root)
    assert not (tmp_path / "new").exists() and list(tmp_path.iterdir()) == []
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "pool").write_text("x")
    with pytest.raises(GerminateError, match=r"^data root: .*pool is a file, not a directory$"):
        check_writable(tmp_path / "r")


@pytest.mark.parametrize("content,needle", [
    ('{"version": 2, "rounds": [', "is damaged (not valid JSON at line 1"),
    ("[]", "is damaged (not a JSON object)"),
    ("\xff\xfe{}", "is damaged (not valid JSON"),
])
def test_damaged_checkpoint_is_one_line_naming_the_file(tmp_path, content, needle):
    path = tmp_path / "checkpoint.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GerminateError) as exc:
        read_checkpoint(path)
    assert str(exc.value).startswith(str(path)) and needle in str(exc.value) and "\n" not in str(exc.value)


def test_checkpoint_not_utf8(tmp_path):
    path = tmp_path / "checkpoint.json"
    path.write_bytes(json.dumps({"a": "설정"}, ensure_ascii=False).encode("cp949"))
    with pytest.raises(GerminateError, match=r"checkpoint.json is damaged \(not UTF-8 text\)"):
        read_checkpoint(path)
