"""The OpenAI-compatible backend in base mode: `/completions` requests, and the preflight that
refuses a chat-only server before anything is generated."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.config import Sampling, TeacherConfig
from core.errors import GerminateError
from generators.teachers import make_teacher


class Server:
    """127.0.0.1 server: GET /models, POST /chat/completions, and /completions unless chat-only."""

    def __init__(self, chat_only: bool) -> None:
        self.posts: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(200, {"object": "list", "data": [{"id": "m"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.posts.append((self.path, body))
                if self.path.endswith("/chat/completions"):
                    self._send(200, {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]})
                elif chat_only:
                    self._send(404, {"detail": "Not Found"})
                else:
                    text = f" continued {body['prompt'][-3:]}"
                    self._send(200, {"choices": [{"text": text, "finish_reason": "stop"}],
                                     "usage": {"prompt_tokens": 5, "completion_tokens": 2}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(request):
    srv = Server(chat_only=request.param)
    yield srv
    srv.close()


@pytest.mark.parametrize("server", [False], indirect=True)
def test_base_mode_sends_raw_prompts_with_seeds_and_stops(server):
    teacher = make_teacher(TeacherConfig(backend="openai", base_url=server.url, model="m", mode="base"))
    sampling = Sampling(temperature=0.7, top_p=0.9, max_tokens=40)
    out = teacher.complete_text(["1. a\n2.", "Task: x\n"], sampling, [11, 12], stop=["\n\n", "\n4."])
    assert [c.text for c in out] == [" continued \n2.", " continued  x\n"]
    assert [(c.finish_reason, c.prompt_tokens, c.completion_tokens) for c in out] == [("stop", 5, 2)] * 2
    probe, *sent = server.posts
    assert probe[0].endswith("/completions") and probe[1]["max_tokens"] == 1  # the preflight
    assert sorted(b["seed"] for _, b in sent) == [11, 12]
    for path, body in sent:
        assert path.endswith("/v1/completions")
        assert body["stop"] == ["\n\n", "\n4."] and body["max_tokens"] == 40 and "messages" not in body


@pytest.mark.parametrize("server", [True], indirect=True)
def test_base_mode_on_a_chat_only_server_fails_in_one_line_before_generating(server):
    with pytest.raises(GerminateError) as err:
        make_teacher(TeacherConfig(backend="openai", base_url=server.url, model="m", mode="base"))
    message = str(err.value)
    assert "\n" not in message and "cannot continue text" in message and "HTTP 404" in message
    assert "mode=chat" in message
    assert [path for path, _ in server.posts] == ["/v1/completions"]  # one probe, nothing generated


@pytest.mark.parametrize("server", [True], indirect=True)
def test_chat_mode_does_not_need_completions(server):
    make_teacher(TeacherConfig(backend="openai", base_url=server.url, model="m", mode="chat"))
    assert server.posts == []
