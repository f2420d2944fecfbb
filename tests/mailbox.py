"""A real SMTP server for the tests (aiosmtpd, in this process, on 127.0.0.1): it keeps what
arrives, can require a login, and can refuse addresses (permanently or for now).

Ports: 8160 + 2 x the xdist worker number (and the next one for a server requiring a login);
8169 never has a server (the "unreachable" port).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

#: A port where nothing listens.
UNREACHABLE = 8169
USER, PASSWORD = "finance-robot", "s3cret:with@odd/chars"


def _port(offset: int) -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(re.sub(r"\D", "", worker) or 0)
    return 8160 + (2 * number + offset) % 9


@attrs.define
class Received:
    """A message as the server took it: the envelope and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@attrs.define
class Handler:
    """Keeps messages; refuses an address permanently (550) or for now (451)."""

    received: list[Received] = attrs.field(factory=list)
    refuse_for_good: set[str] = attrs.field(factory=set)
    refuse_for_now: set[str] = attrs.field(factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse_for_good:
            return "550 5.1.1 no such mailbox"
        if address in self.refuse_for_now:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  data: Any) -> AuthResult:
    ok = (isinstance(data, LoginPassword) and data.login.decode() == USER
          and data.password.decode() == PASSWORD)
    return AuthResult(success=ok, handled=False)


@attrs.define
class Mailbox:
    """The running servers: ``url`` (open) and ``login_url`` (needs USER and PASSWORD)."""

    handler: Handler
    port: int
    login_port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def login_url(self) -> str:
        from urllib.parse import quote

        return f"smtp://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:" \
               f"{self.login_port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture(scope="session")
def _servers() -> Iterator[Mailbox]:
    handler = Handler()
    open_server = Controller(handler, hostname="127.0.0.1", port=_port(0))
    login_server = Controller(handler, hostname="127.0.0.1", port=_port(1),
                              auth_required=True, auth_require_tls=False,
                              authenticator=_authenticate)
    open_server.start()
    login_server.start()
    try:
        yield Mailbox(handler, open_server.port, login_server.port)
    finally:
        open_server.stop()
        login_server.stop()


@pytest.fixture(name="mailbox")
def mailbox_fixture(_servers: Mailbox) -> Mailbox:
    """The test SMTP servers, emptied and accepting every address."""
    _servers.handler.received.clear()
    _servers.handler.refuse_for_good.clear()
    _servers.handler.refuse_for_now.clear()
    return _servers
