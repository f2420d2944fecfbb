"""`apportion serve` runs gunicorn on the embedded rules; /healthz names the ruleset in use."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

APPORTION = str(Path(sys.executable).parent / "apportion")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("access_log", [False, True])
def test_serve_answers_health_and_apportion(tmp_path: Path, access_log: bool) -> None:
    """The access log is off unless asked for (it costs about a fifth of a calculator
    request)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    flags = ["--access-log"] if access_log else []
    server = subprocess.Popen([APPORTION, "serve", "--port", str(port), "--workers", "2", *flags],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.load(r)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert health["status"] == "ok" and health["ruleset"]["file"] == "embedded"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/dhr/apportion", method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"district": "chesterfield", "date": "2012-06-01", "costs": [
                {"item": "panel-chair", "amount": "7700.00"}]}).encode())
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
        assert [s["amount"] for s in body["shares"]] == ["1100.00"] * 7
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert "gunicorn" in output.lower() or "Booting worker" in output
    assert "admin token" in output
    token = output.split("keep it safe):", 1)[1].split()[0]
    assert token.startswith("apn_")
    assert ("POST /api/v1/dhr/apportion" in output) == access_log
