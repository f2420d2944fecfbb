"""The real server: `apportion serve` (gunicorn, several worker processes) on SQLite and, when
TEST_DATABASE_URL is set (CI sets it), on PostgreSQL, each on a fresh database."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.service.conftest import BACKENDS, fresh_database_url, postgres_database

APPORTION = str(Path(sys.executable).parent / "apportion")
_PORT_LOCK = threading.Lock()


def free_port() -> int:
    """A free port: from APPORTION_TEST_PORTS (``8180-8199``) when set, else any."""
    wanted = os.environ.get("APPORTION_TEST_PORTS", "")
    candidates = [0]
    if wanted:
        low, high = (int(p) for p in wanted.split("-"))
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        span = list(range(low, high + 1))
        candidates = span[worker::2] + span  # two xdist workers: interleave their ports
    with _PORT_LOCK:
        for port in candidates:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


@attrs.define
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class Server:
    """A running `apportion serve`."""

    process: subprocess.Popen[str]
    port: int
    token: str
    backend: str
    database_url: str
    output: list[str] = attrs.field(factory=list)

    def request(self, method: str, path: str, body: Any = None, token: str | None = "admin",
                headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
        """One request on a new connection (the body as JSON unless bytes)."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {self.token if token == 'admin' else token}"
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      content, time.monotonic() - started)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return "".join(self.output)


def database_for(backend: str, folder: Path) -> str:
    postgres = postgres_database() if backend == "postgresql" else None
    return fresh_database_url(backend, folder, postgres)


def start_server(backend: str, folder: Path, workers: int = 2, threads: int = 4,
                 wait: bool = True, env: dict[str, str] | None = None) -> Server:
    """Start `apportion serve` on a fresh database; with ``wait``, return once it answers."""
    url = database_for(backend, folder)
    port = free_port()
    process = subprocess.Popen(
        [APPORTION, "serve", "--port", str(port), "--workers", str(workers),
         "--threads", str(threads)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "DATABASE_URL": url, **(env or {})})
    assert process.stdout is not None
    output: list[str] = []
    token = ""
    deadline = time.monotonic() + 60
    while not token:  # the master prints the admin token before it forks
        line = process.stdout.readline()
        assert line or process.poll() is None, "".join(output)
        assert time.monotonic() < deadline, "".join(output)
        output.append(line)
        if line.strip().startswith("apn_"):
            token = line.strip()
    server = Server(process, port, token, backend, url, output)
    threading.Thread(target=_drain, args=(process, output), daemon=True).start()
    if wait:
        while True:
            try:
                if server.request("GET", "/readyz", token=None, timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
    return server


def _drain(process: subprocess.Popen[str], output: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    found: str = request.param
    return found


@pytest.fixture()
def server(backend: str, tmp_path: Path) -> Iterator[Server]:
    started = start_server(backend, tmp_path, workers=2)
    yield started
    started.stop()
