"""The production app server in tests: granian serving merezha.wsgi:application on an embedded
database of its own, as docs/how-to/deploy.md runs it (started once per module that needs it)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Server:
    port: int
    env: dict[str, str]

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def django(self, code: str) -> Any:
        """Run `code` (Python; it sets `result`) against the server's database; `result` as JSON."""
        script = (
            "import json, django\ndjango.setup()\nresult = None\n" + code + "\nprint(json.dumps(result))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=self.env | {"DJANGO_SETTINGS_MODULE": "merezha.settings"},
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The production environment of the deploy guide, on an embedded database under `home`."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {
        "MEREZHA_HOME": str(home),
        "DEBUG": "0",
        "SECRET_KEY": "granian-test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join(sys.path),
        **extra,
    }


@contextmanager
def granian(home: Path, **extra: str) -> Iterator[Server]:
    env = server_env(home, **extra)
    subprocess.run([sys.executable, "-m", "merezha.cli", "migrate", "-v", "0"], env=env, check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", "1", "--blocking-threads", "4", "--log-level", "error", "merezha.wsgi:application"],
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "granian did not start"
                time.sleep(0.2)
        yield Server(port=port, env=env)
    finally:
        process.terminate()
        process.wait(timeout=20)


def raw_request(
    server: Server, method: str, path: str, headers: dict[str, bytes], body: bytes = b""
) -> tuple[int, dict]:
    """One HTTP/1.1 request written byte for byte (header values as given, not encoded by a client)."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}".encode(), b"", b""]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"\r\n".join(lines) + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, content = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(content) if content.startswith((b"{", b"[")) else {
        "raw": content.decode("latin-1")
    }
