"""check-log's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from cronchecks.core.result import Status
from cronchecks.core.values import OptionValues
from cronchecks.log.check import LogOptions
from cronchecks.log.journal import parse_priority


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
        encoding=values.text("encoding", "auto") or "",
        ok_patterns=values.texts("ok-pattern"),
        critical_exceptions=values.texts("critical-exception"),
        warning_exceptions=values.texts("warning-exception"),
        critical_threshold=values.whole("critical-threshold", 1, minimum=1) or 1,
        warning_threshold=values.whole("warning-threshold", 1, minimum=1) or 1,
        sticky=values.duration("sticky", positive=True),
        journal=values.flag("journal"),
        units=values.texts("unit"),
        priority=values.parsed("priority", parse_priority),
        journal_dir=values.text("journal-dir"),
        journal_file=values.text("journal-file"),
    )
