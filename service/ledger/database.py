"""Connecting to the ledger's database and bringing its schema up to date.

SQLite (WAL, foreign keys, writers serialised with BEGIN IMMEDIATE, readers never waiting for
the write lock) in the instance folder by default; PostgreSQL through ``DATABASE_URL``.
Migrations are Alembic's, run on start-up.

Fork safety: a process that forks workers (gunicorn) calls :meth:`Database.dispose` once its
own work is done, and each worker calls :meth:`Database.after_fork`, so no connection opened
before the fork is ever used by two processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
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
        self.read_engine = self.engine
        if self.is_sqlite:
            _sqlite_pragmas(self.engine, immediate=True)
            # Readers take no write lock: a deferred BEGIN sees a WAL snapshot, so reads never
            # queue behind a writer (nor behind each other).
            self.read_engine = create_engine(self.url, **options)
            _sqlite_pragmas(self.read_engine, immediate=False)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    def session(self, read_only: bool = False) -> Session:
        """A new session (use ``with db.session() as s, s.begin(): ...``).

        ``read_only`` sessions (for requests that only read) take no write lock on SQLite;
        on PostgreSQL both kinds are the same.
        """
        return self.read_sessions() if read_only else self.sessions()

    def ping(self) -> str | None:
        """The current migration revision (None on an empty database); raises if the
        database cannot be reached."""
        with self.read_engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return None if found is None else str(found)

    def head(self) -> str | None:
        """The newest migration revision this code knows."""
        return ScriptDirectory.from_config(self._config()).get_current_head()

    def _config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        config = self._config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection (before forking, and at the end)."""
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    def after_fork(self) -> None:
        """In a forked child: forget the parent's pooled connections without closing them
        (they belong to the parent); the child opens its own."""
        self.engine.dispose(close=False)
        if self.read_engine is not self.engine:
            self.read_engine.dispose(close=False)


def _sqlite_pragmas(engine: Engine, immediate: bool) -> None:
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
        # Writers: one at a time, decided when the transaction starts: no lost updates and no
        # "database is locked" upgrade failures half-way through a command.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
