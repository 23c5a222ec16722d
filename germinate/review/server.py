"""Serving the review page on 127.0.0.1 with uvicorn until Ctrl-C.

The port is bound here, before uvicorn starts, so a port in use is one line (exit 2), not a
uvicorn traceback, and `--port 0` picks a free one (the URL printed is the real one).
"""

from __future__ import annotations

import errno
import signal
import socket
from collections.abc import Callable

import uvicorn

from core.errors import GerminateError
from core.store import RunDir
from germinate.review.app import Review, create_app

HOST = "127.0.0.1"


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:`port`, or a one-line error saying why not."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise GerminateError(f"port {port} on {HOST} is in use; choose another with --port") from None
        raise GerminateError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
    # Listening now, so a browser opened on the printed URL waits for uvicorn instead of being
    # refused while it starts.
    sock.listen(2048)
    return sock


def serve(run: RunDir, port: int, announce: Callable[[str], None]) -> None:
    """Load the run, bind, say where the page is, serve until interrupted."""
    app = create_app(Review(run))
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    # log_config=None: uvicorn leaves logging alone (germinate's own setup decides where it goes).
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", access_log=False))
    announce(url)
    # Ctrl-C (or SIGTERM) is how a person closes the page: its normal end, exit 0. uvicorn
    # handles the signal itself (a graceful shutdown) and sends it again once done; the CLI's
    # handler would turn that into an interrupted command (130), so it is set aside meanwhile.
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.getsignal(s) for s in stops}
    try:
        for s in stops:
            signal.signal(s, lambda *_: None)
        server.run(sockets=[sock])
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
