"""A real SMTP server for the tests (aiosmtpd, in this process, on 127.0.0.1): it keeps what
arrives, can require a login, and can refuse addresses (permanently or for now).

Ports: the first free ones of 8160-8168 (this project's range on the shared machine), else any
free port the system gives, so test runs in several checkouts never collide. The "unreachable"
port is a socket bound and never listening: connecting to it is refused, always.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "finance-robot", "s3cret:with@odd/chars"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _start(handler: Handler, **options: Any) -> Controller:
    """An SMTP server on the first free port of 8160-8168, else on any free port."""
    for port in [*range(8160, 8169), 0]:
        controller = Controller(handler, hostname="127.0.0.1", port=port or _free_port(),
                                **options)
        try:
            controller.start()
        except (OSError, RuntimeError):
            continue
        return controller
    raise RuntimeError("no free port for the test SMTP server")


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
    unreachable_port: int

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
    open_server = _start(handler)
    login_server = _start(handler, auth_required=True, auth_require_tls=False,
                          authenticator=_authenticate)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
    try:
        yield Mailbox(handler, open_server.port, login_server.port, closed.getsockname()[1])
    finally:
        closed.close()
        open_server.stop()
        login_server.stop()


@pytest.fixture(name="mailbox")
def mailbox_fixture(_servers: Mailbox) -> Mailbox:
    """The test SMTP servers, emptied and accepting every address."""
    _servers.handler.received.clear()
    _servers.handler.refuse_for_good.clear()
    _servers.handler.refuse_for_now.clear()
    return _servers
