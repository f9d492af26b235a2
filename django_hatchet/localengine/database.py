"""The engine's own PostgreSQL database: given, or made next to the project's."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, urlsplit

from . import LocalEngineError

#: The database made for the engine on the project's PostgreSQL server.
DEFAULT_NAME = "hatchet_engine"


def engine_database_url(explicit: str | None, project_database: dict[str, Any]) -> str:
    """The engine's database URL: ``--database-url``, ``HATCHET_ENGINE_DATABASE_URL``, or a
    database of its own on the server of the project's default database (made if missing).
    Either way, PostgreSQL must answer."""
    url = explicit or os.environ.get("HATCHET_ENGINE_DATABASE_URL")
    if url:
        if urlsplit(url).scheme not in ("postgres", "postgresql"):
            raise LocalEngineError(
                f"{describe(url)} is not a PostgreSQL URL: the Hatchet engine runs on "
                "PostgreSQL. Give postgres://USER:PASSWORD@HOST:PORT/DATABASE."
            )
        connect(url).close()
        return url
    if not project_database.get("ENGINE", "").endswith("postgresql"):
        raise LocalEngineError(
            "The Hatchet engine needs a PostgreSQL database, and this project's default "
            f"database is not one ({project_database.get('ENGINE', 'none')}). Pass "
            "--database-url postgres://USER:PASSWORD@HOST:PORT/DATABASE (a database the engine "
            "may own: it creates its tables there), or set HATCHET_ENGINE_DATABASE_URL."
        )
    name = os.environ.get("HATCHET_ENGINE_DB", DEFAULT_NAME)
    server = _url(project_database, project_database.get("NAME") or "postgres")
    with connect(server) as connection:
        connection.autocommit = True
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if found.fetchone() is None:
            try:
                connection.execute(f'CREATE DATABASE "{name}"')
            except Exception as exc:
                raise LocalEngineError(
                    f"Could not create the engine's database {name!r} on {describe(server)}: "
                    f"{_first_line(exc)}. Create it (CREATE DATABASE {name}), grant the "
                    "project's user CREATEDB, or pass --database-url."
                ) from None
    return _url(project_database, name)


def connect(url: str) -> Any:
    """A connection to ``url``, or a LocalEngineError that says what to do."""
    try:
        import psycopg
    except ImportError:
        raise LocalEngineError(
            "psycopg is needed to reach the engine's PostgreSQL: "
            "pip install 'django-hatchet[postgres]'."
        ) from None
    try:
        return psycopg.connect(url, connect_timeout=5)
    except psycopg.Error as exc:
        raise LocalEngineError(
            f"PostgreSQL at {describe(url)} cannot be reached: {_first_line(exc)}. Start it, "
            "or give the engine another database (--database-url postgres://...)."
        ) from None


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
    return f"{parts.username}@{where}" if parts.username else where


def _url(database: dict[str, Any], name: str) -> str:
    user = quote(str(database.get("USER") or ""), safe="")
    password = quote(str(database.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
