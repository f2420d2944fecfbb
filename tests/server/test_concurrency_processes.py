"""Concurrent commands across worker processes (real gunicorn, 3 workers x 4 threads) on both
databases: billing, revisions, rebills, payments and same-key retries at once, then every
ledger invariant and gap-free numbering checked from the tables."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.app import create_app
from tests.server.conftest import Answer, Server, start_server
from tests.service import invariants

CASES = 4
CLIENTS = 12
ROUNDS = 12
#: What a command may answer when another one got there first; never a 5xx.
ALLOWED = {200, 201, 409}


def _work(server: Server, client: int, barrier: threading.Barrier,
          answers: list[tuple[str, Answer]]) -> None:
    chooser = random.Random(client)
    for round_ in range(ROUNDS):
        barrier.wait(timeout=120)  # every client fires at the same moment each round
        case = f"DHR-P{chooser.randrange(CASES)}"
        action = chooser.choice(["cost", "revise", "bill", "bill", "rebill", "pay", "retry"])
        if action == "cost":
            answer = server.request("POST", f"/api/v1/cases/{case}/costs", {
                "item": "panel-chair", "amount": f"{100 + client}.{round_:02d}",
                "incurred": "2015-02-01"})
        elif action == "revise":
            costs = server.request("GET", f"/api/v1/cases/{case}").json()["costs"]
            target = chooser.choice(costs)["id"]
            answer = server.request("PATCH", f"/api/v1/cases/{case}/costs/{target}",
                                    {"amount": f"{chooser.randrange(1, 5000)}.{client:02d}"})
        elif action == "bill":
            answer = server.request("POST", f"/api/v1/cases/{case}/billing",
                                    {"date": "2015-03-01"})
        elif action == "rebill":
            answer = server.request("POST", f"/api/v1/cases/{case}/rebill",
                                    {"date": "2015-03-01"})
        elif action == "pay":
            listed = server.request("GET", f"/api/v1/invoices?case={case}&status=open").json()
            documents = listed["invoices"]
            if not documents:
                continue
            number = chooser.choice(documents)["number"]
            answer = server.request("POST", f"/api/v1/invoices/{number}/paid",
                                    {"date": "2015-03-02"})
        else:  # the same key from this client, sent by itself several times at once
            key = f"retry-{client}-{round_}"
            body = {"item": "overview-author", "amount": "333.33", "incurred": "2015-02-02"}
            path, headers = f"/api/v1/cases/{case}/costs", {"Idempotency-Key": key}
            with ThreadPoolExecutor(3) as pool:
                tries = list(pool.map(
                    lambda _, p=path, b=body, h=headers: server.request("POST", p, b, headers=h),
                    range(3)))
            answers.extend((f"retry:{key}", t) for t in tries)
            continue
        answers.append((action, answer))


def test_commands_across_worker_processes_keep_every_invariant(backend: str,
                                                               tmp_path: Path) -> None:
    server = start_server(backend, tmp_path, workers=3, threads=4)
    try:
        for index in range(CASES):
            assert server.request("POST", "/api/v1/cases", {
                "reference": f"DHR-P{index}", "district": "erewash",
                "commissioned": "2015-01-01"}).status == 201
            assert server.request("POST", f"/api/v1/cases/DHR-P{index}/costs", {
                "item": "panel-chair", "amount": "1000.00",
                "incurred": "2015-01-15"}).status == 201
        answers: list[tuple[str, Answer]] = []
        barrier = threading.Barrier(CLIENTS)
        started = time.monotonic()
        threads = [threading.Thread(target=_work, args=(server, n, barrier, answers))
                   for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.monotonic() - started
        statuses = Counter((action.split(":")[0], a.status) for action, a in answers)
        bad = [(action, a.status, a.body[:200]) for action, a in answers
               if a.status not in ALLOWED]
        assert not bad, bad[:5]
        # Same-key retries: one tranche per key, and every try answered with it.
        retries: dict[str, set[int]] = {}
        for action, answer in answers:
            if action.startswith("retry:") and answer.status == 201:
                retries.setdefault(action, set()).add(answer.json()["id"])
        assert retries and all(len(ids) == 1 for ids in retries.values()), retries
    finally:
        output = server.stop()
    assert "Traceback" not in output, output[-3000:]
    app = create_app({"TESTING": True, "DATABASE_URL": server.database_url})
    try:
        invariants.check(app)  # nets = shares, Σ documents = Σ billed, gap-free numbers
    finally:
        app.extensions["apportion.db"].dispose()
    print(f"\n{backend}: {len(answers)} commands from {CLIENTS} clients on 3 workers in "
          f"{elapsed:.1f} s ({len(answers) / elapsed:.0f}/s): {dict(sorted(statuses.items()))}")
