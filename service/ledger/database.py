"""Connecting to the ledger's database and bringing its schema up to date.

SQLite (WAL, foreign keys, writers serialised with BEGIN IMMEDIATE) in the instance folder by
default; PostgreSQL through ``DATABASE_URL``. Migrations are Alembic's, run on start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "default_url"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url(instance_path: str) -> str:
    """The embedded default: a SQLite file in the instance folder (created if missing)."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'apportion.sqlite3'}"


def _normalise(url: str) -> str:
    # "postgresql://" means psycopg 3 here (the driver this project installs).
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """An engine, a session factory, and the migrations."""

    def __init__(self, url: str, **engine_options: Any):
        self.url = _normalise(url)
        self.is_sqlite = self.url.startswith("sqlite")
        options: dict[str, Any] = {"future": True, **engine_options}
        if self.is_sqlite:
            options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        else:
            options.setdefault("pool_pre_ping", True)
        self.engine: Engine = create_engine(self.url, **options)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new session (use ``with db.session() as s, s.begin(): ...``)."""
        return self.sessions()

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" below decide
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # One writer at a time, decided when the transaction starts: no lost updates and no
        # "database is locked" upgrade failures half-way through a command.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
