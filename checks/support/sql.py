"""One scalar from an SQL query through SQLAlchemy, shared by heartbeat and integrity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from cronchecks.core.errors import CheckError, MissingExtra, UsageError
from cronchecks.support.secrets import read_secret, scrub

# Drivers that SQLAlchemy loads by URL scheme, and the pip extra that brings them.
_DRIVER_HINTS = {"psycopg": "sql", "psycopg2": "sql", "pymysql": "sql", "mysqldb": "sql"}


class DatabaseUnreachable(Exception):
    """The database did not accept the connection: the target's state, not ours."""


@dataclass(frozen=True)
class QueryAnswer:
    """The first column of the first row, or `found=False` when there was no row."""

    value: Any
    found: bool


def resolve_db_url(db: str | None, db_env: str | None, db_file: str | None, env: Mapping[str, str]) -> str | None:
    """The database URL from --db, --db-env or --db-file (the last two keep it out of `ps`)."""
    return read_secret(direct=db, env_name=db_env, file_path=db_file, env=env, what="the database URL")


def shown_url(url: str) -> str:
    """The URL with its password hidden, for summaries and diagnostics."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://***"


def _password(url: str) -> str | None:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password
    except Exception:
        return None


class Fetched(NamedTuple):
    answer: QueryAnswer
    where: str  # the database URL with its password hidden


def fetch_scalar(*, db: str | None, db_env: str | None, db_file: str | None, query: str, runtime: Any) -> Fetched:
    """The first value of `query` on the database named by --db/--db-env/--db-file.

    Raises DatabaseUnreachable with the (password-free) database named in its message.
    """
    url = resolve_db_url(db, db_env, db_file, runtime.env)
    if url is None:
        raise UsageError("give the database: --db, --db-env or --db-file")
    where = shown_url(url)
    runtime.log(1, f"query on {where}: {query}")
    try:
        return Fetched(query_scalar(url, query, runtime.remaining()), where)
    except DatabaseUnreachable as error:
        raise DatabaseUnreachable(f"cannot reach the database {where}: {error}") from None


def query_scalar(url: str, query: str, timeout: float | None) -> QueryAnswer:
    """Run `query` and return its first value; connection trouble raises DatabaseUnreachable."""
    try:
        import sqlalchemy
    except ImportError:
        raise MissingExtra("sqlalchemy", "sql") from None
    from sqlalchemy import exc

    secret = _password(url)
    connect_args: dict[str, Any] = {}
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except exc.ArgumentError as error:
        raise UsageError(f"not a database URL: {scrub(str(error), secret)}") from None
    backend = parsed.get_backend_name()
    seconds = max(1, int(timeout or 10))
    if backend == "postgresql":
        connect_args["connect_timeout"] = seconds
    elif backend == "sqlite":
        connect_args["timeout"] = seconds
    elif backend == "mysql":
        connect_args["connect_timeout"] = seconds
    try:
        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool, connect_args=connect_args)
    except exc.NoSuchModuleError:
        raise UsageError(f"no SQLAlchemy dialect for {parsed.drivername!r}") from None
    except ImportError as error:
        name = getattr(error, "name", None) or "the database driver"
        raise MissingExtra(name, _DRIVER_HINTS.get(str(name).lower(), "sql")) from None
    try:
        with engine.connect() as connection:
            row = connection.execute(sqlalchemy.text(query)).first()
    except exc.OperationalError as error:
        message = _first_line(error, secret)
        if _is_connection_failure(error):
            raise DatabaseUnreachable(message) from None
        raise CheckError(f"query failed: {message}") from None
    except exc.DBAPIError as error:
        raise CheckError(f"query failed: {_first_line(error, secret)}") from None
    except exc.SQLAlchemyError as error:
        raise CheckError(f"query failed: {scrub(str(error), secret).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if row is None:
        return QueryAnswer(None, found=False)
    return QueryAnswer(row[0], found=True)


def _first_line(error: Any, secret: str | None) -> str:
    original = getattr(error, "orig", None) or error
    text = str(original).strip() or type(original).__name__
    return scrub(text.splitlines()[0], secret)


def _is_connection_failure(error: Any) -> bool:
    # OperationalError covers both "cannot connect" and "no such table" (SQLite); only
    # a failure before any statement ran is the database being down.
    text = str(getattr(error, "orig", error)).lower()
    markers = ("connect", "connection", "could not translate host", "timeout expired", "unable to open database")
    return any(marker in text for marker in markers)
