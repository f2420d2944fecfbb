"""``apportion backup`` and ``apportion restore`` for the embedded SQLite ledger.

A backup uses SQLite's online backup API: a consistent copy taken while the service runs
(writers wait only while a page step copies). A restore refuses to overwrite a ledger that
holds cases or documents unless forced, copies the backup in the same way (readers see the old
ledger or the new, never a mix), then brings the schema up to date. PostgreSQL has its own
tools (``pg_dump`` / ``pg_restore``, README).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from service.ledger.database import Database
from service.ledger.errors import Conflict, Invalid

__all__ = ["backup", "restore"]


def _sqlite_path(url: str) -> Path:
    database = Database(url)
    database.dispose()
    if not database.is_sqlite:
        raise Invalid("backup and restore work on the SQLite ledger; for PostgreSQL use "
                      "pg_dump and pg_restore (see the README)", field="DATABASE_URL")
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path == ":memory:":
        raise Invalid("the ledger is not a SQLite file", field="DATABASE_URL")
    return Path(path)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def backup(url: str, target: Path) -> None:
    """Copy the ledger of ``url`` to ``target`` (which must not exist yet).

    Raises:
        Invalid: the ledger is not a SQLite file, or ``target`` exists or cannot be written.
    """
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise Invalid(f"there is no ledger at {source_path}", field="DATABASE_URL")
    if target.exists():
        raise Invalid(f"{target} exists already; choose a new file", field="FILE")
    partial = target.with_name(target.name + ".partial")
    try:
        source, copy = _connect(source_path), sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise Invalid(f"cannot write {target}: {error}", field="FILE") from None


def _holds_data(connection: sqlite3.Connection) -> bool:
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return any(connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
               for table in ("cases", "documents") if table in tables)


def restore(url: str, source_file: Path, force: bool) -> None:
    """Replace the ledger of ``url`` with the backup ``source_file``, then migrate it.

    Raises:
        Invalid: not a SQLite ledger, or ``source_file`` is not a ledger backup.
        Conflict: the ledger holds cases or documents and ``force`` is not set.
    """
    target_path = _sqlite_path(url)
    try:
        source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
        try:
            revision = source.execute("SELECT version_num FROM alembic_version").fetchone()
            source.execute("PRAGMA quick_check").fetchone()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise Invalid(f"{source_file} is not a backup of the ledger: {error}",
                      field="FILE") from None
    if revision is None:
        raise Invalid(f"{source_file} is not a backup of the ledger (no schema version)",
                      field="FILE")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    target = _connect(target_path)
    try:
        if _holds_data(target) and not force:
            raise Conflict(f"the ledger at {target_path} holds cases or documents; restoring "
                           "would replace them: give --force to do so", field="--force")
        source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
        try:
            source.backup(target)
        finally:
            source.close()
    except sqlite3.Error as error:
        raise Invalid(f"cannot restore into {target_path}: {error}", field="FILE") from None
    finally:
        target.close()
    ledger = Database(url)
    try:
        ledger.migrate()
    finally:
        ledger.dispose()
