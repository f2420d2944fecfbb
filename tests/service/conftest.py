"""Fixtures for the service tests: apps on the embedded rules, the ledger on SQLite and (when
TEST_DATABASE_URL is set, as CI does) on PostgreSQL, and tokens for each role."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from service import accounts
from service.app import create_app
from service.ledger import tokens as ledger_tokens
from service.ledger.tables import User

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app for stateless calls (its ledger is an empty SQLite file)."""
    folder = tmp_path_factory.mktemp("calculators")
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}"})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _pg_admin_url() -> str:
    url = os.environ["TEST_DATABASE_URL"]
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A database of its own for this test worker (see :func:`postgres_database`)."""
    return postgres_database()


@functools.cache
def postgres_database() -> str:
    """A database of its own for this test worker, created fresh on the server of
    TEST_DATABASE_URL (a failure to connect fails the tests: it never skips them)."""
    base = _pg_admin_url()
    # Named after TEST_DATABASE_URL's own database, so two checkouts testing against one
    # server (each with its own TEST_DATABASE_URL) never share a worker's database.
    prefix = base.rsplit("/", 1)[1].split("?", 1)[0] or "apportion"
    name = f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def fresh_database_url(backend: str, folder: Path, postgres: str | None) -> str:
    """An empty database of ``backend``: a new SQLite file, or a wiped PostgreSQL schema."""
    if backend == "sqlite":
        index = len(list(folder.glob("*.sqlite3")))
        return f"sqlite:///{folder / f'ledger-{index}.sqlite3'}"
    assert postgres is not None
    engine = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres


@attrs.define
class Ledger:
    """An app with a fresh ledger and a token per role."""

    app: Flask
    tokens: dict[str, str]
    backend: str

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def headers(self, role: str = "finance", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def sign_in(self, role: str = "finance", client: FlaskClient | None = None) -> FlaskClient:
        """A client signed in to the web app with an account of ``role`` (made on first use)."""
        client = client or self.client()
        email = f"{role}@example.org"
        with self.app.extensions["apportion.db"].session() as session:
            if session.scalar(select(User.id).where(User.email == email)) is None:
                accounts.create_user(session, email, f"Test {role}", role, "test",
                                     PASSWORD)
                session.commit()
        response = client.post("/sign-in", data={
            "email": email, "password": PASSWORD, "next": "/",
            "csrf_token": csrf_token(client, "/sign-in")})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    def dispose(self) -> None:
        self.app.extensions["apportion.db"].dispose()


#: The password of every test account.
PASSWORD = "correct horse battery staple"


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path``."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(
        as_text=True))
    assert found, f"no form with a CSRF token on {path}"
    return found.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str
              ) -> tuple[int, str, str]:
    """Post ``data`` to ``path`` with the CSRF token of the form on ``page``; the status, the
    redirect location (or "") and the body."""
    response = client.post(path, data={"csrf_token": csrf_token(client, page), **data})
    return response.status_code, response.headers.get("Location", ""), response.get_data(
        as_text=True)


def billed_case(client: FlaskClient, reference: str = "DHR-2013-02") -> list[str]:
    """Open a case through the pages, add a £4,250 cost and bill it; its invoice numbers."""
    post_form(client, "/cases/new", {"reference": reference, "district": "amber-valley",
                                     "commissioned-day": "1", "commissioned-month": "11",
                                     "commissioned-year": "2012"}, "/cases/new")
    post_form(client, f"/cases/{reference}/costs", {
        "item": "overview-author", "amount": "4250.00", "incurred-day": "20",
        "incurred-month": "4", "incurred-year": "2013"}, f"/cases/{reference}")
    status, _, _ = post_form(client, f"/cases/{reference}/billing", {"date": "2013-05-01"},
                             f"/cases/{reference}")
    assert status == 303
    return sorted(set(re.findall(r"INV-\d{6}", client.get(f"/cases/{reference}").get_data(
        as_text=True))))


def make_ledger(backend: str, folder: Path, postgres: str | None) -> Ledger:
    url = fresh_database_url(backend, folder, postgres)
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    with app.extensions["apportion.db"].session() as session:
        tokens = {role: ledger_tokens.create_token(session, f"test {role}", role)
                  for role in ledger_tokens.ROLES}
        session.commit()
    return Ledger(app, tokens, backend)


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    backend: str = request.param
    postgres = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    made = make_ledger(backend, tmp_path, postgres)
    yield made
    made.dispose()
