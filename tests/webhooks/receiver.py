"""A real HTTP server that receives webhooks, for the delivery tests.

Each path behaves as a receiver in the wild might: `/ok` answers 200; `/flaky/N` answers 500
to its first N requests, then 200; `/slow/S` waits S seconds before answering; `/huge`
streams a 10 MB answer; `/redirect` answers 302 to a private address; `/hang` holds the
request until `release` is set. Every request is recorded with its headers and raw body.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://{self.server.server_address[0]!s}:{self.port}"

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.on(path)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"{path}: {len(self.on(path))} of {count} requests arrived")

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def start(tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> Receiver:
    """Serve on `host` (HTTPS when `tls` is given) on a free port."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.hits[self.path] += 1
                hit = receiver.hits[self.path]
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
            parts = self.path.strip("/").split("/")
            if parts[0] == "flaky" and hit <= int(parts[1]):
                return self._answer(500, b"not now")
            if parts[0] == "slow":
                time.sleep(float(parts[1]))
            if parts[0] == "hang":
                receiver.release.wait(60)
            if parts[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts[0] == "huge":
                self.send_response(200)
                self.send_header("Content-Length", str(10 * 1024 * 1024))
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    for _ in range(160):
                        self.wfile.write(chunk)
                except OSError:
                    pass  # the sender stopped reading, as it should
                return
            self._answer(200, b"ok")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
