"""Throughput of POST /api/v1/dhr/apportion served by ``apportion serve`` as shipped, relative
to a bare Flask endpoint returning an answer of the same size under the same gunicorn settings.

``apportion serve`` runs as a user runs it (its own settings, a fresh SQLite ledger); the bare
app (benchmarks/bare_app.py) is served with the same settings
(:func:`service.cli.server.gunicorn_options`). Both answer bodies are checked to be the same
size. wrk (Debian's package) loads them in alternate rounds in the same run; the figure is the
ratio of median requests per second, with each side's spread. Target: >= 0.9.

    python benchmarks/service.py [--rounds 5] [--seconds 4] [--workers 2] [--port 8200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
PATH = "/api/v1/dhr/apportion"
TARGET = 0.9


def wait_for(server: subprocess.Popen[bytes], url: str) -> bytes:
    deadline = time.monotonic() + 60
    while True:
        try:
            request = urllib.request.Request(url, data=json.dumps(BODY).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2) as response:
                assert response.status == 200
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit(f"the server for {url} did not start") from None
            time.sleep(0.2)


def load(url: str, script: Path, seconds: int, connections: int) -> float:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
                          url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors under load:\n{out}")
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} req/s (min {min(values):.0f}, max {max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8200, help="this port and the next")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk (make bench-service does it)")
    apportion_cli = Path(sys.executable).with_name("apportion")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                          f"wrk.body = {json.dumps(json.dumps(BODY))}\n")
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/ledger.sqlite3"}
        ours = subprocess.Popen(
            [str(apportion_cli), "serve", "--port", str(args.port), "--workers",
             str(args.workers)], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
        bare = subprocess.Popen(
            [sys.executable, "benchmarks/bare_app.py", str(args.port + 1), str(args.workers)],
            cwd=ROOT, stdout=subprocess.DEVNULL)
        our_url = f"http://127.0.0.1:{args.port}{PATH}"
        bare_url = f"http://127.0.0.1:{args.port + 1}{PATH}"
        try:
            sizes = len(wait_for(ours, our_url)), len(wait_for(bare, bare_url))
            if abs(sizes[0] - sizes[1]) > 0.02 * sizes[0]:
                raise SystemExit(f"answers differ in size: {sizes}; adjust bare_app.py")
            load(our_url, script, 2, args.connections)  # warm up both
            load(bare_url, script, 2, args.connections)
            apportion, baseline, ratios = [], [], []
            for _ in range(args.rounds):
                apportion.append(load(our_url, script, args.seconds, args.connections))
                baseline.append(load(bare_url, script, args.seconds, args.connections))
                ratios.append(apportion[-1] / baseline[-1])
        finally:
            for server in (ours, bare):
                server.terminate()
                server.wait(timeout=20)
    print(f"hot endpoint, gunicorn {args.workers} workers (apportion serve's settings), "
          f"{args.rounds} interleaved rounds of {args.seconds} s, answers of {sizes[0]} bytes")
    print(f"  apportion serve  POST {PATH}: {spread(apportion)}")
    print(f"  bare Flask, same size answer:          {spread(baseline)}")
    ratio = statistics.median(apportion) / statistics.median(baseline)
    print(f"  ratio {ratio:.2f} (per round: min {min(ratios):.2f}, max {max(ratios):.2f}); "
          f"target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
