"""Random `--set` strings never reach the console as a traceback: the command exits 0 or 2,
with at most one line on stderr.

Keys are real dotted config paths (and their prefixes) mixed with junk; values are YAML
scalars and lists, Korean text, huge numbers, empty strings. `germinate run` validates the
config and stops at the seeds check (the seeds file does not exist), before any model loads.
A second property sends random model names through the student check, which reads local
files only.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import generators.teachers
from core.config import PipelineConfig
from germinate.cli import main

EXAMPLES = int(os.environ.get("GERMINATE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        out.append(key)
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out += _keys(kind, f"{key}.")
    return out


KEYS = _keys(PipelineConfig)
junk_key = st.text(alphabet="abz._-가나 =\t", max_size=12)
key = st.sampled_from(KEYS) | junk_key | st.builds(lambda k, j: f"{k}.{j}", st.sampled_from(KEYS), junk_key)
value = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="가나다라마바사 설정값", max_size=10),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "null", "~", "true", "no", "[]", "{}", "[1, 2", "{a: b}", ".inf", "1e999", "0x10",
                     "- a\n- b", "'", '"', "2026-12-01", "*alias", "&a x", "!!python/object:os.system"]),
)
setting = st.one_of(st.builds(lambda k, v: f"{k}={v}", key, value), st.text(max_size=15))


def _check(code: int, err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code in (0, 2), err
    assert "Traceback" not in err, err
    assert len(lines) <= 1, err


@FUZZ
@given(st.lists(setting, min_size=1, max_size=4))
def test_random_set_strings_exit_0_or_2_without_traceback(tmp_path, capsys, sets):
    args = ["run", "--data-root", str(tmp_path / "root")]
    for s in sets:
        args += ["--set", s]
    args += ["--set", f"generate.seeds={tmp_path / 'no-seeds.jsonl'}"]
    code = main(args)
    _check(code, capsys.readouterr().err)
    assert not (tmp_path / "root" / "runs").exists()


@FUZZ
@given(st.one_of(st.text(max_size=30), st.sampled_from(
    [".", "/", "embedded:", "embedded:가나", "a/b/c", "모델/이름", "../x", "~nobody/x", "~0", "x" * 300, "org/" + "m" * 97])))
def test_random_student_names_fail_in_one_line(tmp_path, capsys, monkeypatch, name):
    def refuse(*a, **k):
        raise AssertionError("no teacher is built: the eval set is missing")

    monkeypatch.setattr(generators.teachers, "make_teacher", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = main(["run", "--data-root", str(tmp_path / "root"), "--set", f"tune.student={name}",
                 "--set", f"evaluate.eval_set={tmp_path / 'no-eval.jsonl'}"])
    err = capsys.readouterr().err
    _check(code, err)
    assert code == 2
