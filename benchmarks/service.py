"""Throughput of POST /api/v1/dhr/apportion served by ``apportion serve`` as shipped, relative
to a bare Flask endpoint returning an answer of the same size under the same gunicorn settings.

``apportion serve`` runs as a user runs it (its own settings, a fresh SQLite ledger); the bare
app (benchmarks/bare_app.py) is served with the same settings
(:func:`service.cli.server.gunicorn_options`). Both answers are checked to be the same size,
headers and body (the bare app sends the service's security headers as constant text).
wrk (Debian's package) loads them in alternate rounds in the same run; the figure is the ratio
of median requests per second, with each side's spread. On a busy machine requests per second
swing with the neighbours' load, so the CPU time the server processes spend per request
(Linux: /proc) is printed too, with its ratio (bare / ours: the throughput ratio when the
servers are CPU-bound). Target: >= 0.9.

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


def wait_for(server: subprocess.Popen[bytes], url: str) -> tuple[int, int]:
    """Wait until the server answers; the size of its answer's headers and of its body."""
    deadline = time.monotonic() + 60
    while True:
        try:
            request = urllib.request.Request(url, data=json.dumps(BODY).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2) as response:
                assert response.status == 200
                head = sum(len(f"{name}: {value}\r\n") for name, value in response.getheaders())
                return head, len(response.read())
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit(f"the server for {url} did not start") from None
            time.sleep(0.2)


def cpu_seconds(master: int) -> float:
    """User and system CPU time of a server: its master and its worker processes."""
    pids = [master]
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def load(url: str, script: Path, seconds: int, connections: int, server: int | None = None
         ) -> tuple[float, float]:
    """Requests per second, and the server's CPU seconds per request (0 without /proc)."""
    before = cpu_seconds(server) if server and Path("/proc").is_dir() else 0.0
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
                          url], capture_output=True, text=True, check=True).stdout
    after = cpu_seconds(server) if server and Path("/proc").is_dir() else 0.0
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors under load:\n{out}")
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    done = next(int(line.split()[0]) for line in out.splitlines() if "requests in" in line)
    return float(line.split()[1]), (after - before) / max(1, done)


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
            sizes = wait_for(ours, our_url), wait_for(bare, bare_url)
            if any(abs(mine - theirs) > 0.02 * mine for mine, theirs in zip(*sizes, strict=True)):
                raise SystemExit(f"answers differ in size (headers, body): {sizes}; "
                                 "adjust bare_app.py")
            load(our_url, script, 2, args.connections)  # warm up both
            load(bare_url, script, 2, args.connections)
            apportion, baseline, ratios = [], [], []
            our_cpu, bare_cpu = [], []
            for _ in range(args.rounds):
                rate, cpu = load(our_url, script, args.seconds, args.connections, ours.pid)
                apportion.append(rate)
                our_cpu.append(cpu)
                rate, cpu = load(bare_url, script, args.seconds, args.connections, bare.pid)
                baseline.append(rate)
                bare_cpu.append(cpu)
                ratios.append(apportion[-1] / baseline[-1])
        finally:
            for server in (ours, bare):
                server.terminate()
                server.wait(timeout=20)
    print(f"hot endpoint, gunicorn {args.workers} workers (apportion serve's settings), "
          f"{args.rounds} interleaved rounds of {args.seconds} s, answers of {sizes[0][0]} bytes "
          f"of headers and {sizes[0][1]} of body")
    print(f"  apportion serve  POST {PATH}: {spread(apportion)}")
    print(f"  bare Flask, same size answer:          {spread(baseline)}")
    ratio = statistics.median(apportion) / statistics.median(baseline)
    print(f"  ratio {ratio:.2f} (per round: min {min(ratios):.2f}, max {max(ratios):.2f}); "
          f"target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")
    if any(our_cpu):
        cpu_ratios = [b / a for a, b in zip(our_cpu, bare_cpu, strict=True) if a]
        mine, theirs = statistics.median(our_cpu), statistics.median(bare_cpu)
        print(f"  server CPU per request: apportion {mine * 1e6:.0f} us "
              f"[{min(our_cpu) * 1e6:.0f}-{max(our_cpu) * 1e6:.0f}], bare {theirs * 1e6:.0f} us "
              f"[{min(bare_cpu) * 1e6:.0f}-{max(bare_cpu) * 1e6:.0f}]; ratio bare/apportion "
              f"{theirs / mine:.2f} (per round {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}); "
              f"target >= {TARGET}: {'met' if theirs / mine >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
