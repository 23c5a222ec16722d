"""The openai backend against a real vLLM OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generators import self_instruct as si
from generators.openai_client import OpenAITeacher
from generators.parsing import parse_instructions
from generators.serve import vllm_server
from germinate import runtime_env
from germinate.config import GenerateConfig, TeacherConfig
from germinate.records import load_tasks

pytestmark = pytest.mark.slow


def test_openai_backend_generates_schema_valid_json(tmp_path: Path):
    runtime_env.configure(tmp_path)
    cfg = GenerateConfig(teacher=TeacherConfig(backend="openai"), new_per_request=3)
    seeds = load_tasks(cfg.seeds)
    with vllm_server(cfg.teacher, log_path=tmp_path / "server.log", startup_timeout_s=900) as url:
        assert url.startswith("http://127.0.0.1:")
        teacher = OpenAITeacher(cfg.teacher.model_copy(update={"base_url": url}))
        teacher.check_reachable()
        requests = si.instruction_requests(seeds, [], cfg, 0, 4)
        replies = teacher.complete([r.messages for r in requests], cfg.instruction_sampling,
                                   [r.seed for r in requests], schema=requests[0].schema)
    assert len(replies) == 4
    for reply in replies:
        assert reply.completion_tokens > 0 and reply.prompt_tokens > 0
        if reply.finish_reason == "stop":
            # The server enforced the schema: the reply is JSON with 1..3 string tasks.
            data = json.loads(reply.text)
            assert 1 <= len(data["tasks"]) <= 3
            tasks, error = parse_instructions(reply.text, reply.finish_reason)
            assert error is None and tasks
    # The seed travels with each request (the server applies it); equal text across different
    # batch compositions is not guaranteed by vLLM's bf16 numerics, so it is not asserted.
