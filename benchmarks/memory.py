"""A worker's memory over a long run: ``apportion serve`` with one worker, many mixed requests.

The requests cycle through DHR splits (varied districts, dates and amounts), fund allocations
(named and inline) and what-if comparisons with ever different changes (each a new scenario,
so kept scenarios must stay bounded), and the ledger's reads. The worker's resident memory
(Linux: /proc/PID/status) is sampled every ``--every`` requests; the figure is its growth
over the second half of the run (after warm-up), which should be about zero: flat.

    python benchmarks/memory.py [--requests 6000] [--every 500] [--port 8202]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DISTRICTS = ["amber-valley", "bolsover", "chesterfield", "erewash"]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS: this benchmark needs Linux")


def worker_of(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children")
        found = children.read_text().split() if children.exists() else []
        if found:
            return int(found[0])
        time.sleep(0.2)
    raise SystemExit("no worker process")


def call(base: str, method: str, path: str, body: Any = None,
         token: str | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def mixed(rng: random.Random, n: int) -> tuple[str, str, Any, bool]:
    """The ``n``th request: (method, path, body, needs a token)."""
    day = f"{rng.randint(2012, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    dhr = {"district": rng.choice(DISTRICTS), "date": day, "costs": [
        {"item": "overview-author", "amount": f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}"}]}
    kind = n % 6
    if kind in (0, 1):
        return "POST", "/api/v1/dhr/apportion", dhr, False
    if kind == 2:
        return "POST", "/api/v1/funds/allocate", {"fund": "home-office-csf-2012-13"}, False
    if kind == 3:
        return "POST", "/api/v1/scenarios/compare", {
            "changes": [{"op": "end-organisation", "organisation": "derbyshire-fire-rescue",
                         "date": f"{rng.randint(2012, 2030)}-{rng.randint(1, 12):02d}-01"}],
            "dhr": [dhr], "funds": [{"fund": "home-office-csf-2012-13"}]}, False
    if kind == 4:
        return "POST", "/api/v1/scenarios/compare", {"changes": [], "dhr": [dhr]}, False
    return "GET", rng.choice(["/api/v1/cases", "/api/v1/invoices?organisation="
                              "derbyshire-county-council", "/api/v1/reports/board?year=2016-17"]
                             ), None, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--port", type=int, default=8202)
    args = parser.parse_args()
    apportion = str(Path(sys.executable).with_name("apportion"))
    with tempfile.TemporaryDirectory() as folder:
        environment = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/ledger.sqlite3"}
        token = subprocess.run([apportion, "token", "create", "--role", "admin", "--name",
                                "memory"], env=environment, capture_output=True, text=True,
                               check=True).stdout
        token = next(word for word in token.split() if word.startswith("apn_"))
        server = subprocess.Popen([apportion, "serve", "--port", str(args.port), "--workers",
                                   "1"], env=environment, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{args.port}"
        try:
            deadline = time.monotonic() + 30
            while not _up(base):
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            worker = worker_of(server.pid)
            rng = random.Random(5)
            samples: list[tuple[int, int]] = [(0, rss_kib(worker))]
            statuses: dict[int, int] = {}
            for n in range(1, args.requests + 1):
                method, path, body, guarded = mixed(rng, n)
                status = call(base, method, path, body, token if guarded else None)
                statuses[status] = statuses.get(status, 0) + 1
                if n % args.every == 0:
                    samples.append((n, rss_kib(worker)))
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"worker memory over {args.requests} mixed requests (splits, funds, what-ifs with "
          f"a new scenario each time, ledger reads); answers: {statuses}")
    print("  requests: " + " ".join(f"{n:>7}" for n, _ in samples))
    print("  RSS MiB:  " + " ".join(f"{kib / 1024:7.1f}" for _, kib in samples))
    half = samples[len(samples) // 2]
    last = samples[-1]
    growth = (last[1] - half[1]) / 1024
    per_thousand = growth / max(1, (last[0] - half[0]) / 1000)
    print(f"  second half: {half[1] / 1024:.1f} -> {last[1] / 1024:.1f} MiB ({growth:+.1f} MiB, "
          f"{per_thousand:+.2f} MiB per 1,000 requests); flat: "
          f"{'yes' if abs(per_thousand) < 0.5 else 'NO'}")


def _up(base: str) -> bool:
    try:
        return call(base, "GET", "/healthz") == 200
    except OSError:
        return False


if __name__ == "__main__":
    main()
