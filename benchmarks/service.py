"""Throughput of POST /api/v1/dhr/apportion under gunicorn (2 workers) relative to a bare Flask
endpoint that parses the same JSON and returns a body of the same shape.

Both servers run under the same gunicorn settings; wrk (Debian's package) loads them in
alternate rounds in the same run, and the figure is the ratio of median requests per second.
Target: >= 0.8.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BODY = {"district": "amber-valley", "date": "2013-05-01",
        "costs": [{"item": "overview-author", "amount": "4250.00"}]}
ROUNDS, SECONDS, CONNECTIONS = 5, 4, 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(target: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", target], cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1/dhr/apportion"
    deadline = time.monotonic() + 30
    while True:
        try:
            request = urllib.request.Request(url, data=json.dumps(BODY).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2) as response:
                assert response.status == 200
            return server, url
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"{target} did not start") from None
            time.sleep(0.2)


def load(url: str, script: Path) -> float:
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", str(script),
                          url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors under load:\n{out}")
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk (make bench-service does it)")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                          f"wrk.body = {json.dumps(json.dumps(BODY))}\n")
        ours, our_url = start("wsgi:app")
        bare, bare_url = start("benchmarks.bare_app:app")
        try:
            load(our_url, script)  # warm up both
            load(bare_url, script)
            apportion, baseline = [], []
            for _ in range(ROUNDS):
                apportion.append(load(our_url, script))
                baseline.append(load(bare_url, script))
        finally:
            for server in (ours, bare):
                server.terminate()
                server.wait(timeout=20)
    a, b = statistics.median(apportion), statistics.median(baseline)
    print(f"apportion  POST /api/v1/dhr/apportion: {a:8.0f} req/s (median of {ROUNDS})")
    print(f"bare Flask same JSON in, same shape out: {b:8.0f} req/s")
    print(f"ratio: {a / b:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
