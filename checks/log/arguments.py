"""check-log's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from cronchecks.core.result import Status
from cronchecks.core.values import OptionValues
from cronchecks.log.check import LogOptions


def read_options(values: OptionValues) -> LogOptions:
    """LogOptions from option values; a bad value is an OptionError naming its option."""
    return LogOptions(
        files=values.texts("files"),
        patterns=values.texts("pattern"),
        critical_patterns=values.texts("critical-pattern"),
        warning_patterns=values.texts("warning-pattern"),
        excludes=values.texts("exclude"),
        ignore_case=values.flag("ignore-case"),
        fixed_strings=values.flag("fixed-strings"),
        record_start=values.text("record-start"),
        since=values.duration("since"),
        time_format=values.text("time-format"),
        tz=values.text("tz"),
        state=values.text("state"),
        from_start=values.flag("from-start"),
        missing=values.state("missing", Status.CRITICAL),
        show=values.whole("show", 10) or 0,
        engine=(values.text("engine") or "auto").strip().lower(),
    )
