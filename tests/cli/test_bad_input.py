"""Bad input: one line on stderr, exit code 2, and no run directory left behind."""

from __future__ import annotations

import json
from pathlib import Path

from generators.serve import free_port
from germinate.cli import main


def _run(capsys, root: Path, *args: str) -> tuple[int, str]:
    code = main(["run", "--data-root", str(root), *args])
    err = capsys.readouterr().err
    return code, err


def _assert_one_line_no_run(code: int, err: str, root: Path, needle: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("germinate: error: ")
    assert needle in lines[0]
    assert "Traceback" not in err
    runs = root / "runs"
    assert not runs.exists() or not any(runs.iterdir())


def test_missing_seeds_file(tmp_path, capsys):
    code, err = _run(capsys, tmp_path, "--set", f"generate.seeds={tmp_path / 'nope.jsonl'}")
    _assert_one_line_no_run(code, err, tmp_path, "nope.jsonl")


def test_malformed_jsonl_line_is_named(tmp_path, capsys):
    seeds = tmp_path / "seeds.jsonl"
    good = {"id": "a", "instruction": "Say hi.", "instances": [{"input": "", "output": "hi"}]}
    seeds.write_text(json.dumps(good) + "\n" + json.dumps(dict(good, id="b")) + "\n{oops\n")
    code, err = _run(capsys, tmp_path, "--set", f"generate.seeds={seeds}")
    _assert_one_line_no_run(code, err, tmp_path, "seeds.jsonl:3: malformed JSON")


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "germinate.yaml"
    cfg.write_text("generate:\n  teacher:\n    modle: x\n")
    code, err = _run(capsys, tmp_path, "--config", str(cfg))
    _assert_one_line_no_run(code, err, tmp_path, "unknown config key 'generate.teacher.modle'")


def test_bad_config_value(tmp_path, capsys):
    code, err = _run(capsys, tmp_path, "--set", "generate.num_instructions=-3")
    _assert_one_line_no_run(code, err, tmp_path, "generate.num_instructions")


def test_unreachable_teacher_url(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    code, err = _run(capsys, tmp_path, "--set", "generate.teacher.backend=openai",
                     "--set", f"generate.teacher.base_url={url}")
    _assert_one_line_no_run(code, err, tmp_path, f"teacher unreachable at {url}")


def test_unknown_cli_option(tmp_path, capsys):
    code, err = _run(capsys, tmp_path, "--frobnicate")
    _assert_one_line_no_run(code, err, tmp_path, "--frobnicate")


def test_curate_input_bad_line(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text('{"instruction": "Say hi.", "input": "", "output": "hi"}\nnot json\n')
    code = main(["curate", "--input", str(data), "--data-root", str(tmp_path)])
    err = capsys.readouterr().err
    _assert_one_line_no_run(code, err, tmp_path, "data.jsonl:2: malformed JSON")


def test_inspect_unknown_run(tmp_path, capsys):
    code = main(["inspect", "nope", "--data-root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "no such run: nope" in err


def test_unknown_language_code_is_named_with_the_likely_one(tmp_path, capsys):
    # "kr" is a country code; it used to be accepted and then drop every Korean row.
    code, err = _run(capsys, tmp_path, "--set", "curate.languages=[en, kr]")
    _assert_one_line_no_run(code, err, tmp_path, "'curate.languages': unknown language code 'kr'; did you mean 'ko'?")
    code = main(["curate", "--input", str(tmp_path / "any.jsonl"), "--data-root", str(tmp_path),
                 "--set", "curate.languages=[kr]"])
    _assert_one_line_no_run(code, capsys.readouterr().err, tmp_path, "did you mean 'ko'?")


def test_base_mode_teacher_on_a_chat_only_endpoint(tmp_path, capsys):
    """A server with /chat/completions but no /completions: refused before a run exists."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posts = []

    class ChatOnly(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, code, body):
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._reply(200, b'{"data": [{"id": "m"}]}')

        def do_POST(self):
            posts.append(self.path)
            self._reply(200 if self.path.endswith("/chat/completions") else 404, b'{"detail": "Not Found"}')

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ChatOnly)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        for command in ("run", "generate"):
            code = main([command, "--data-root", str(tmp_path), "--set", "generate.teacher.backend=openai",
                         "--set", f"generate.teacher.base_url={url}", "--set", "generate.teacher.mode=base"])
            _assert_one_line_no_run(code, capsys.readouterr().err, tmp_path, "cannot continue text")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert posts == ["/v1/completions", "/v1/completions"]  # one 1-token probe each, nothing generated
