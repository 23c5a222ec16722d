"""The OpenAI-compatible teacher against an endpoint that misbehaves.

A real HTTP server on 127.0.0.1 (a free port, in this process) answers each request the way a
test tells it to: 5xx, hang, cut the connection mid-body, truncated JSON, stop serving. The
client must recover where it can, otherwise fail with one GerminateError that names the
endpoint, within a time bounded by its config, and never show the API key.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.config import GenerateConfig, Sampling, TeacherConfig
from core.errors import GerminateError
from core.records import Instance, SeedTask
from core.store import atomic_write_jsonl
from generators import self_instruct as si
from generators.openai_client import OpenAITeacher

SAMPLING = Sampling(temperature=0.0, top_p=1.0, max_tokens=32)
MESSAGES = [{"role": "user", "content": "Name a river."}]


class Endpoint:
    """An OpenAI-compatible server whose every answer is `behave(handler, hit_number)`."""

    def __init__(self, behave) -> None:
        self.behave = behave
        self.hits = 0
        self.in_flight = self.max_in_flight = 0
        self.auth: list[str] = []
        self.release = threading.Event()  # frees hanging handlers at shutdown
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                with endpoint._lock:
                    endpoint.hits += 1
                    n = endpoint.hits
                    endpoint.in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint.in_flight)
                    endpoint.auth.append(self.headers.get("Authorization", ""))
                try:
                    endpoint.behave(self, n)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on us: that is what a timeout test wants
                finally:
                    with endpoint._lock:
                        endpoint.in_flight -= 1

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def shortest_backoff(monkeypatch):
    """Backoff jitter at its low end (0.25 s, 0.5 s, ...): the same attempts, less waiting."""
    import generators.openai_client as client

    monkeypatch.setattr(client, "random", types.SimpleNamespace(random=lambda: 0.0))


@pytest.fixture
def endpoint():
    started: list[Endpoint] = []

    def start(behave) -> Endpoint:
        started.append(Endpoint(behave))
        return started[-1]

    yield start
    for ep in started:
        ep.stop()


# --- what a handler can do ---------------------------------------------------------------

def completion_body(content: str, finish_reason: str = "stop") -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "model": "m",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                    "finish_reason": finish_reason}],
                       "usage": {"prompt_tokens": 7, "completion_tokens": 3}}).encode()


def send(h, code: int, body: bytes = b"{}", content_type: str = "application/json") -> None:
    h.send_response(code)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def ok(h, content: str = '{"tasks": ["Describe the water cycle in simple words."]}', finish: str = "stop") -> None:
    if h.path.endswith("/models"):
        send(h, 200, b'{"object": "list", "data": [{"id": "m"}]}')
    else:
        send(h, 200, completion_body(content, finish))


def cut_mid_body(h) -> None:
    """Promise 2000 bytes, send 40, close: the client sees a broken response."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "2000")
    h.end_headers()
    h.wfile.write(completion_body("never finished")[:40])
    h.wfile.flush()
    h.connection.shutdown(socket.SHUT_RDWR)
    h.close_connection = True


def teacher_cfg(url: str, key_env: str, **kw) -> TeacherConfig:
    # A healthy answer must not time out on a busy CI machine; the hang test sets its own.
    base = dict(backend="openai", model="m", base_url=url, api_key_env=key_env, timeout_s=5.0,
                max_retries=2, max_concurrency=2)
    return TeacherConfig(**(base | kw))


def worst_case_seconds(cfg: TeacherConfig, requests: int = 1) -> float:
    """A generous bound on one batch: every attempt times out in each httpx phase (connect,
    write, read, pool), plus the longest backoff (0.5 * 2**k s, jitter up to x1.5), plus 5 s
    for a slow CI machine."""
    backoff = sum(min(30.0, 0.5 * 2 ** k) * 1.5 for k in range(cfg.max_retries))
    rounds = -(-requests // cfg.max_concurrency)
    return rounds * ((cfg.max_retries + 1) * 4 * cfg.timeout_s + backoff) + 5.0


def assert_clean_error(exc: GerminateError, url: str, key: str) -> None:
    msg = str(exc)
    assert url.rstrip("/") in msg, msg
    assert key not in msg and key not in repr(exc.args)
    assert "\n" not in msg
    assert exc.__cause__ is None or key not in str(exc.__cause__)


# --- tests ---------------------------------------------------------------------------------

def test_5xx_then_success_recovers_after_counted_attempts(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: send(h, 500 if n == 1 else 503) if n <= 2 else ok(h))
    teacher = OpenAITeacher(teacher_cfg(ep.url, env, max_retries=3))
    (reply,) = teacher.complete([MESSAGES], SAMPLING, [1])
    assert json.loads(reply.text)["tasks"]
    assert ep.hits == 3
    assert set(ep.auth) == {f"Bearer {key}"}  # the key was sent, so "never shown" means something


def test_always_500_gives_up_after_max_retries_naming_the_endpoint(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: send(h, 500, b'{"error": "boom"}'))
    cfg = teacher_cfg(ep.url, env, max_retries=2)
    started = time.monotonic()
    with pytest.raises(GerminateError, match="failed after 3 attempts") as err:
        OpenAITeacher(cfg).complete([MESSAGES], SAMPLING, [1])
    assert time.monotonic() - started < worst_case_seconds(cfg)
    assert ep.hits == 3
    assert_clean_error(err.value, ep.url, key)


def test_hanging_endpoint_times_out_within_the_configured_bound(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: ep.release.wait(30))
    cfg = teacher_cfg(ep.url, env, timeout_s=0.2, max_retries=1)
    started = time.monotonic()
    with pytest.raises(GerminateError, match="ReadTimeout") as err:
        OpenAITeacher(cfg).complete([MESSAGES, MESSAGES], SAMPLING, [1, 2])
    assert time.monotonic() - started < worst_case_seconds(cfg, requests=2)
    assert_clean_error(err.value, ep.url, key)


def test_connection_closed_mid_response_is_retried(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: cut_mid_body(h) if n == 1 else ok(h))
    (reply,) = OpenAITeacher(teacher_cfg(ep.url, env)).complete([MESSAGES], SAMPLING, [1])
    assert "tasks" in reply.text
    assert ep.hits == 2


def test_connection_always_closed_mid_response_fails_cleanly(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: cut_mid_body(h))
    cfg = teacher_cfg(ep.url, env, max_retries=1)
    with pytest.raises(GerminateError) as err:
        OpenAITeacher(cfg).complete([MESSAGES], SAMPLING, [1])
    assert ep.hits == 2
    assert_clean_error(err.value, ep.url, key)


def test_malformed_response_body_is_retried_then_named(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: send(h, 200, b'{"choices": [{"message": ', "application/json"))
    with pytest.raises(GerminateError, match="malformed response body") as err:
        OpenAITeacher(teacher_cfg(ep.url, env, max_retries=1)).complete([MESSAGES], SAMPLING, [1])
    assert_clean_error(err.value, ep.url, key)


def test_truncated_json_content_becomes_unparseable_candidate_with_raw_kept(endpoint, planted_key, tmp_path, find_secret):
    env, key = planted_key
    cut = '{"tasks": ["Explain how tides work.", "Write a haiku ab'
    ep = endpoint(lambda h, n: ok(h, cut, "length") if n % 2 else ok(h))
    cfg = GenerateConfig(teacher=teacher_cfg(ep.url, env), seed_per_prompt=1, machine_per_prompt=0)
    seeds = [SeedTask(id="s0", instruction="Name a river.", instances=[Instance(output="Nile")])]
    requests = si.instruction_requests(seeds, [], cfg, start=0, count=4)
    replies = OpenAITeacher(cfg.teacher).complete([r.messages for r in requests], SAMPLING,
                                                  [r.seed for r in requests], schema=requests[0].schema)
    candidates = si.instruction_candidates("run", requests, replies)
    broken = [c for c in candidates if c.parse_error]
    assert len(broken) == 2 and all(c.raw == cut and c.finish_reason == "length" for c in broken)
    assert all("cut at max_tokens" in c.parse_error for c in broken)
    assert all(c.instruction for c in candidates if not c.parse_error)
    atomic_write_jsonl(tmp_path / "candidates.jsonl", [c.model_dump() for c in candidates])
    assert find_secret(tmp_path, key) == []


def test_endpoint_stopped_between_requests(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: ok(h))
    cfg = teacher_cfg(ep.url, env, max_retries=1)
    teacher = OpenAITeacher(cfg)
    assert len(teacher.complete([MESSAGES] * 3, SAMPLING, [1, 2, 3])) == 3
    ep.stop()
    started = time.monotonic()
    with pytest.raises(GerminateError, match="ConnectError") as err:
        teacher.complete([MESSAGES] * 3, SAMPLING, [4, 5, 6])
    assert time.monotonic() - started < worst_case_seconds(cfg, requests=3)
    assert_clean_error(err.value, ep.url, key)


def test_endpoint_stops_in_the_middle_of_a_batch(endpoint, planted_key):
    env, key = planted_key

    def serve_two_then_stop(h, n):
        if n <= 2:
            ok(h)
        else:
            threading.Thread(target=lambda: (ep.server.shutdown(), ep.server.server_close()), daemon=True).start()
            cut_mid_body(h)

    ep = endpoint(serve_two_then_stop)
    cfg = teacher_cfg(ep.url, env, max_retries=1, max_concurrency=1)
    started = time.monotonic()
    with pytest.raises(GerminateError) as err:
        OpenAITeacher(cfg).complete([MESSAGES] * 5, SAMPLING, list(range(5)))
    assert time.monotonic() - started < worst_case_seconds(cfg, requests=5)
    assert_clean_error(err.value, ep.url, key)


def test_concurrency_is_bounded(endpoint, planted_key):
    env, _ = planted_key

    def slow_ok(h, n):
        time.sleep(0.05)
        ok(h)

    ep = endpoint(slow_ok)
    replies = OpenAITeacher(teacher_cfg(ep.url, env, max_concurrency=2)).complete(
        [MESSAGES] * 8, SAMPLING, list(range(8)))
    assert len(replies) == 8 and ep.hits == 8
    assert ep.max_in_flight <= 2


def test_check_reachable_against_a_dead_port_is_one_line(dead_port, planted_key):
    env, key = planted_key
    url = f"http://127.0.0.1:{dead_port}/v1"
    with pytest.raises(GerminateError, match="teacher unreachable") as err:
        OpenAITeacher(teacher_cfg(url, env)).check_reachable()
    assert_clean_error(err.value, url, key)


def test_rejected_key_names_the_env_var_not_the_key(endpoint, planted_key):
    env, key = planted_key
    ep = endpoint(lambda h, n: send(h, 401, b'{"error": "invalid key"}'))
    with pytest.raises(GerminateError, match=env) as err:
        OpenAITeacher(teacher_cfg(ep.url, env)).check_reachable()
    assert_clean_error(err.value, ep.url, key)


def test_error_body_echoing_the_key_is_redacted(endpoint, planted_key):
    env, key = planted_key
    # Proxies and some servers echo request headers in 4xx bodies.
    def echo(h, n):
        send(h, 400, json.dumps({"error": "bad request", "authorization": h.headers["Authorization"]}).encode())

    ep = endpoint(echo)
    with pytest.raises(GerminateError) as err:
        OpenAITeacher(teacher_cfg(ep.url, env)).complete([MESSAGES], SAMPLING, [1])
    assert_clean_error(err.value, ep.url, key)


def test_lone_surrogate_in_a_reply_does_not_crash_the_checkpoint(endpoint, planted_key, tmp_path):
    from core.store import atomic_write_json

    env, _ = planted_key
    # json.dumps writes the lone surrogate as the escape "\ud83d", as a server may.
    ep = endpoint(lambda h, n: ok(h, "1. Tell a joke about tea \ud83d.\n2. Describe a quiet harbour at dawn."))
    cfg = GenerateConfig(teacher=teacher_cfg(ep.url, env), seed_per_prompt=1, machine_per_prompt=0)
    seeds = [SeedTask(id="s0", instruction="Name a river.", instances=[Instance(output="Nile")])]
    requests = si.instruction_requests(seeds, [], cfg, start=0, count=1)
    replies = OpenAITeacher(cfg.teacher).complete([r.messages for r in requests], SAMPLING, [r.seed for r in requests])
    candidates = si.instruction_candidates("run", requests, replies)
    # what bootstrap_instructions checkpoints after every round
    atomic_write_json(tmp_path / "checkpoint.json", {"next_index": 1, "candidates": [c.model_dump() for c in candidates],
                                                     "requests": si.request_log(requests, replies)})
