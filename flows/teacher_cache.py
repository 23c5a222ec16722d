"""One teacher engine per process and config, shared by every flow that asks the teacher.

Its own module so that generation, curation (an LLM rater) and evaluation (the judge) can all
reach it without importing each other: flows/generate.py imports flows/curate.py (each round
curates), so flows/curate.py must not import flows/generate.py.
"""

from __future__ import annotations

from core.config import TeacherConfig
from generators.teacher_types import Teacher
from generators import teachers

_TEACHERS: dict[str, Teacher] = {}


def get_teacher(cfg: TeacherConfig) -> Teacher:
    """One engine per process and config: loading vLLM costs ~20 s, so it is reused."""
    key = cfg.model_dump_json()
    if key not in _TEACHERS:
        # Looked up at call time, not bound at import: whoever replaces `teachers.make_teacher`
        # (a test refusing to build one) is obeyed whenever this module was first imported.
        _TEACHERS[key] = teachers.make_teacher(cfg)
    return _TEACHERS[key]
