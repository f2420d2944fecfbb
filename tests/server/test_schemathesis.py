"""schemathesis against the real server (gunicorn, two workers) on both databases, with every
check schemathesis has (server errors, status codes, content types, headers, response schemas,
negative data rejected, positive data accepted, unsupported methods and Allow, auth ignored,
use after free, resource availability), within a time budget per database
(APPORTION_FUZZ_SECONDS, default 60)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mailbox import Mailbox
from tests.server.conftest import start_server

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.slow
def test_schemathesis_finds_nothing_on_the_real_server(backend: str, tmp_path: Path,
                                                       mailbox: Mailbox) -> None:
    # With a mail server, so sending a document is exercised too (without one it is a 503).
    server = start_server(backend, tmp_path, workers=2, env={"SMTP_URL": mailbox.url})
    seconds = os.environ.get("APPORTION_FUZZ_SECONDS", "60")
    # A spare admin token for the fuzzer to revoke (schemathesis.toml pins DELETE
    # /tokens/{token_id} to its id, 2): its own credential stays valid for the whole run.
    try:
        spare = server.request("POST", "/api/v1/tokens", {"name": "revoked by the fuzzer",
                                                          "role": "admin"})
        assert spare.status == 201 and spare.json()["id"] == 2, spare.body
        run = subprocess.run(
            [SCHEMATHESIS, "--config-file", str(CONFIG), "--no-color", "run",
             f"http://127.0.0.1:{server.port}/api/openapi.json", "--checks", "all",
             "--max-time", seconds, "--seed", "20261125", "--workers", "1",
             "--header", f"Authorization: Bearer {server.token}",
             "--request-timeout", "30"],
            capture_output=True, text=True, timeout=int(seconds) + 600, cwd=tmp_path)
    finally:
        output = server.stop()
    report = run.stdout + run.stderr
    generated = re.search(r"(\d+) generated", report)
    print(f"\nschemathesis on {backend}: {generated.group(0) if generated else '?'} "
          f"in {seconds} s")
    assert run.returncode == 0, report[-6000:]
    assert "Traceback" not in output, output[-3000:]
