"""The real server (gunicorn, several worker processes) on SQLite and PostgreSQL: a burst in
the first second after start-up, slow clients, bodies over the limit, metrics across workers."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.server.conftest import Answer, Server, start_server

CASE = {"reference": "DHR-2015-01", "district": "erewash", "commissioned": "2015-01-01"}
DHR = {"district": "chesterfield", "date": "2012-06-01",
       "costs": [{"item": "panel-chair", "amount": "7700.00"}]}


def test_a_burst_in_the_first_second_after_start_up_gets_no_5xx(backend: str,
                                                                tmp_path: Path) -> None:
    """Issue 10: work done before the fork left a pooled connection the workers then shared
    (PostgreSQL: "server closed the connection unexpectedly", "INTRANS" 500s)."""
    server = start_server(backend, tmp_path, workers=3, wait=False)
    try:
        deadline = time.monotonic() + 30
        while True:  # the port is bound by the master before the workers boot
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, server.stop()
                time.sleep(0.02)
        started = time.monotonic()

        def one(index: int) -> Answer:
            kind = index % 5
            if kind == 0:
                return server.request("POST", "/api/v1/cases",
                                      {**CASE, "reference": f"DHR-B{index}"})
            if kind == 1:
                return server.request("GET", "/api/v1/cases")
            if kind == 2:
                return server.request("POST", "/api/v1/dhr/apportion", DHR, token=None)
            if kind == 3:
                return server.request("GET", "/readyz", token=None)
            return server.request("GET", "/api/v1/audit?limit=5")

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(one, range(80)))
        first_second = time.monotonic() - started
        statuses = sorted({a.status for a in answers})
        assert all(a.status < 500 for a in answers), (statuses, server.stop()[-3000:])
        assert {a.status for a in answers} <= {200, 201}, statuses
        print(f"{backend}: 80 requests from the first moment, {first_second:.2f} s, "
              f"statuses {statuses}")
    finally:
        output = server.stop()
    assert "Traceback" not in output and "INTRANS" not in output, output[-3000:]


def _slow_post(server: Server, path: str, body: bytes, pause: float,
               result: list[Answer | str]) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    started = time.monotonic()
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode())
        for byte in body:
            sock.sendall(bytes([byte]))
            time.sleep(pause)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        head, _, content = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        result.append(Answer(status, {}, content, time.monotonic() - started))
    except OSError as error:
        result.append(repr(error))
    finally:
        sock.close()


def test_slow_clients_stall_nobody(server: Server) -> None:
    """Issue 10: one client sending a billing body a byte at a time held SQLite's write lock,
    so every other request waited ~30 s; four such clients stalled the service."""
    for index in range(4):
        assert server.request("POST", "/api/v1/cases",
                              {**CASE, "reference": f"DHR-S{index}"}).status == 201
        assert server.request("POST", f"/api/v1/cases/DHR-S{index}/costs", {
            "item": "panel-chair", "amount": "700.00", "incurred": "2015-02-01"}).status == 201
    body = b'{"date": "2015-03-01"}'
    results: list[Answer | str] = []
    slow = [threading.Thread(target=_slow_post, args=(
        server, f"/api/v1/cases/DHR-S{index}/billing", body, 0.15, results))
        for index in range(4)]
    for thread in slow:
        thread.start()
    time.sleep(0.5)  # every slow client is now part-way through its body
    timings = []
    for index in range(12):
        for answer in (server.request("GET", "/api/v1/cases/DHR-S0"),
                       server.request("POST", "/api/v1/cases",
                                      {**CASE, "reference": f"DHR-F{index}"}),
                       server.request("GET", "/healthz", token=None)):
            assert answer.status in (200, 201), answer
            timings.append(answer.seconds)
    assert any(thread.is_alive() for thread in slow), "the slow clients finished too soon"
    for thread in slow:
        thread.join(timeout=60)
    assert max(timings) < 1.0, sorted(timings)[-5:]
    assert [a.status for a in results if isinstance(a, Answer)] == [201] * 4, results
    print(f"{server.backend}: 36 requests during 4 slow bodies, slowest "
          f"{max(timings) * 1000:.0f} ms")


def test_a_body_that_never_finishes_is_408(backend: str, tmp_path: Path) -> None:
    server = start_server(backend, tmp_path, env={"APPORTION_BODY_TIMEOUT": "2"})
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        started = time.monotonic()
        sock.sendall(b"POST /api/v1/dhr/apportion HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"dis")
        data = sock.recv(65536)
        sock.close()
        assert data.split()[1] == b"408", data[:300]
        assert time.monotonic() - started < 10
        assert server.request("GET", "/healthz", token=None).status == 200
    finally:
        server.stop()


@pytest.mark.parametrize("chunked", [True, False])
def test_any_body_over_the_limit_is_413(server: Server, chunked: bool) -> None:
    """Issue 10: a chunked body over 1 MiB got 400, not 413."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    size = 1024 * 1024 + 10
    framing = (b"Transfer-Encoding: chunked\r\n" if chunked
               else f"Content-Length: {size}\r\n".encode())
    sock.sendall(b"POST /api/v1/dhr/apportion HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\n" + framing + b"\r\n")
    try:
        piece = b"a" * 65536
        sent = 0
        while sent < size:
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece)
            sent += len(piece)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server may answer and close before the whole body is sent
    data = sock.recv(65536)
    sock.close()
    assert data.split()[1] == b"413", data[:300]
    assert b"application/problem+json" in data


def test_metrics_add_up_across_worker_processes(backend: str, tmp_path: Path) -> None:
    server = start_server(backend, tmp_path, workers=3)
    try:
        def count() -> float:
            text = server.request("GET", "/metrics", token=None).body.decode()
            return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                       if line.startswith("apportion_http_requests_total{")
                       and 'route="/healthz"' in line)

        before = count()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: server.request("GET", "/healthz",
                                                              token=None).status, range(60)))
        assert statuses == [200] * 60
        assert count() == before + 60
        assert server.request("POST", "/api/v1/cases", CASE).status == 201
        assert server.request("POST", "/api/v1/cases/DHR-2015-01/costs", {
            "item": "panel-chair", "amount": "700.00", "incurred": "2015-02-01"}).status == 201
        issued = server.request("POST", "/api/v1/cases/DHR-2015-01/billing",
                                {"date": "2015-03-01"}).json()["documents"]
        text = server.request("GET", "/metrics", token=None).body.decode()
        assert f'apportion_documents_issued_total{{kind="invoice"}} {len(issued)}.0' in text
        assert 'apportion_billing_runs_total{kind="bill"} 1.0' in text
    finally:
        server.stop()


def test_structured_logs_carry_the_request_id(backend: str, tmp_path: Path) -> None:
    server = start_server(backend, tmp_path, env={"APPORTION_ACCESS_LOG": "1"})
    answer = server.request("GET", "/api/v1/cases", headers={"X-Request-Id": "trace-me-7"})
    assert answer.status == 200 and answer.headers["x-request-id"] == "trace-me-7"
    time.sleep(0.3)
    output = server.stop()
    import json

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "trace-me-7"]
    assert mine and mine[0]["status"] == 200 and mine[0]["route"] == "/api/v1/cases"
    assert mine[0]["credential"].startswith("token:")
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


