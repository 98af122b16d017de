"""check-integrity's data by SQL: a query whose number must stay in range (orphaned rows, unsynced records)."""

from __future__ import annotations

from typing import Any

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, judge, plain_number
from cronchecks.integrity.options import IntegrityOptions

NO_ROWS = Range(0.0, 0.0, text="0")  # the default -c 0: any orphaned row is CRITICAL


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())  # Decimal, numeric text
    except ValueError:
        raise CheckError(f"the query's value is not a number: {str(value)[:40]!r}") from None


def check_query(options: IntegrityOptions, runtime: Runtime) -> Result:
    from cronchecks.support.sql import DatabaseUnreachable, fetch_scalar

    try:
        answer, where = fetch_scalar(db=options.db, db_env=options.db_env, db_file=options.db_file,
                                     query=options.query or "", runtime=runtime)
    except DatabaseUnreachable as error:
        return Result(Status.CRITICAL, str(error))
    if not answer.found:
        raise CheckError(f"the query returned no row ({where}); count the problems, e.g. select count(*) ...")
    if answer.value is None:
        raise CheckError(f"the query returned NULL ({where}); count the problems, e.g. select count(*) ...")
    value = _as_number(answer.value)
    critical = options.critical
    if options.warning is None and options.critical is None:
        critical = NO_ROWS
    status = judge(value, options.warning, critical)
    summary = f"query returned {plain_number(value)} on {where}"
    breached = critical if status is Status.CRITICAL else options.warning if status is Status.WARNING else None
    if breached is not None:
        summary += f" ({status.name.lower()} {breached.describe()})"
    return Result(status, summary, [Perfdata("value", value, "", options.warning, critical)])
