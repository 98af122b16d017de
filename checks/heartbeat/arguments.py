"""check-heartbeat's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from cronchecks.core.result import Status
from cronchecks.core.thresholds import parse_range, parse_size
from cronchecks.core.values import OptionValues
from cronchecks.heartbeat.check import HeartbeatOptions


def read_options(values: OptionValues) -> HeartbeatOptions:
    """HeartbeatOptions from option values; a bad value is an OptionError naming its option."""
    # db-env and db-file are options of their own: read before db, so that a suite's
    # `db-env` is not taken for the secret form of `db`.
    db_env, db_file = values.text("db-env"), values.text("db-file")
    return HeartbeatOptions(
        file=values.text("file"),
        content=values.flag("content"),
        min_size=values.parsed("min-size", parse_size),
        url=values.text("url"),
        json_path=values.text("json-path"),
        # 0 is never a value (bytes() wants at least 1): absent, the HTTP client's own limit applies, and the
        # --file path does not import the HTTP client to learn it.
        max_body=values.bytes("max-body", 0) or None,
        headers=values.texts("header"),
        cacert=values.text("cacert"),
        insecure=values.flag("insecure"),
        db=values.text("db"),
        db_env=db_env,
        db_file=db_file,
        query=values.text("query"),
        schedule=values.text("schedule"),
        grace=values.duration("grace", 0.0) or 0.0,
        tz=values.text("tz"),
        max_skew=values.duration("max-skew", 60.0) or 0.0,
        size_warning=values.parsed("size-warning", lambda text: parse_range(text, "size")),
        size_critical=values.parsed("size-critical", lambda text: parse_range(text, "size")),
        missing_result=values.state("missing-result", Status.CRITICAL),
        late_result=values.state("late-result", Status.OK),
    )

