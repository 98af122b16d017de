"""check-log: count lines (or records) matching patterns in logs, whole, in a time window, or since the last run."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import NamedTuple

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, format_duration, judge, parse_range
from cronchecks.log.match import ENGINES, Pattern
from cronchecks.log.scan import LogScanner, Tally, trim_line

SINCE_MARGIN = 64 * 1024  # scanned in front of the window's start: lines a little out of order
SAMPLE = 64 * 1024  # read from the start and the end of a file to recognise its timestamps


@dataclass(frozen=True, kw_only=True)
class LogOptions:
    """Which logs, which patterns, which part of the logs, and how the count is judged."""

    files: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    critical_patterns: tuple[str, ...] = ()
    warning_patterns: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    ignore_case: bool = False
    fixed_strings: bool = False
    record_start: str | None = None
    since: float | None = None
    time_format: str | None = None
    tz: str | None = None
    state: str | None = None
    from_start: bool = False
    missing: Status = Status.CRITICAL
    show: int = 10
    engine: str = "auto"
    encoding: str = "auto"
    ok_patterns: tuple[str, ...] = ()
    critical_exceptions: tuple[str, ...] = ()
    warning_exceptions: tuple[str, ...] = ()
    critical_threshold: int = 1
    warning_threshold: int = 1
    sticky: float | None = None
    journal: bool = False
    units: tuple[str, ...] = ()
    priority: tuple[int, int] | None = None
    journal_dir: str | None = None
    journal_file: str | None = None
    warning: Range | None = None
    critical: Range | None = None


class Source(NamedTuple):
    """One log to read: the path, or the reason there is none."""

    path: str
    problem: str = ""  # "missing" or the reason it cannot be read


def validate(options: LogOptions) -> None:
    """Reject option combinations that cannot mean anything, before any I/O."""
    if not options.files and not options.journal:
        raise UsageError("give at least one log file (a path or a quoted glob), or --journal")
    journal_options = [name for name, given in (("--unit", options.units), ("--priority", options.priority),
                                                ("--journal-dir", options.journal_dir),
                                                ("--journal-file", options.journal_file)) if given]
    if journal_options and not options.journal:
        raise UsageError(f"{journal_options[0]} goes with --journal")
    if options.journal_dir and options.journal_file:
        raise UsageError("give --journal-dir or --journal-file, not both")
    if options.sticky is not None:
        if not options.state:
            raise UsageError("--sticky goes with --state (the state it keeps between runs is kept there)")
        if options.sticky <= 0:
            raise UsageError("--sticky must be above zero (e.g. 30m, 1h)")
    for flag, value in (("--critical-threshold", options.critical_threshold),
                        ("--warning-threshold", options.warning_threshold)):
        if value < 1:
            raise UsageError(f"{flag} must be 1 or more (the Nth hit alerts)")
    if options.critical_exceptions and not options.critical_patterns:
        raise UsageError("--critical-exception goes with --critical-pattern")
    if options.warning_exceptions and not options.warning_patterns:
        raise UsageError("--warning-exception goes with --warning-pattern")
    if options.critical_threshold > 1 and not options.critical_patterns:
        raise UsageError("--critical-threshold goes with --critical-pattern")
    if options.warning_threshold > 1 and not options.warning_patterns:
        raise UsageError("--warning-threshold goes with --warning-pattern")
    if not (options.patterns or options.critical_patterns or options.warning_patterns):
        raise UsageError("give at least one pattern: -e/--pattern, --critical-pattern or --warning-pattern")
    if options.since is not None and options.since <= 0:
        raise UsageError("--since must be above zero (e.g. 15m, 1h)")
    if options.time_format and options.since is None:
        raise UsageError("--time-format goes with --since")
    if options.from_start and not options.state:
        raise UsageError("--from-start goes with --state (without --state every run reads the whole file)")
    if options.show < 0:
        raise UsageError("--show cannot be negative")
    if options.engine not in ENGINES:
        raise UsageError(f"invalid --engine {options.engine!r} ({', '.join(ENGINES)})")


def compile_patterns(options: LogOptions) -> dict[str, list[Pattern]]:
    """Every pattern compiled; an invalid one is a UsageError naming its option and text."""
    def build(texts: tuple[str, ...], flag: str) -> list[Pattern]:
        return [Pattern(t, flag, fixed=options.fixed_strings, ignore_case=options.ignore_case) for t in texts]

    compiled = {
        "include": build(options.patterns, "-e/--pattern"),
        "critical": build(options.critical_patterns, "--critical-pattern"),
        "warning": build(options.warning_patterns, "--warning-pattern"),
        "exclude": build(options.excludes, "--exclude"),
        "ok": build(options.ok_patterns, "--ok-pattern"),
        "critical_exception": build(options.critical_exceptions, "--critical-exception"),
        "warning_exception": build(options.warning_exceptions, "--warning-exception"),
    }
    if options.record_start:
        record = Pattern(options.record_start, "--record-start", fixed=False, ignore_case=options.ignore_case)
        compiled["record"] = [record]
    return compiled


def check_log(options: LogOptions, runtime: Runtime) -> Result:
    """Count what matches in the logs and judge the count, the critical and the warning patterns."""
    validate(options)
    from cronchecks.log.encoding import choose

    chooser = choose(options.encoding)
    compiled = compile_patterns(options)
    critical = options.critical
    if options.warning is None and critical is None:
        critical = parse_range("0")  # no thresholds given: any match is CRITICAL
    sources = resolve_sources(options.files)
    zone = _zone(options) if options.since is not None else None
    now = runtime.now()
    cutoff = now.timestamp() - options.since if options.since is not None else None
    scanner = LogScanner(compiled["include"], compiled["critical"], compiled["warning"], compiled["exclude"],
                         compiled.get("record", [None])[0], options.engine, options.show,
                         ok=compiled["ok"], critical_exceptions=compiled["critical_exception"],
                         warning_exceptions=compiled["warning_exception"],
                         critical_threshold=options.critical_threshold, warning_threshold=options.warning_threshold)
    runtime.log(1, f"engine: {scanner.finder.describe()}")

    from cronchecks.support.progress import ScanProgress

    # The bar's total is the bytes to read at most (each file's own total is set as it is reached): built
    # with 0 it would never draw.
    progress = ScanProgress(runtime.stderr, _bytes_at_most(sources), sources[0].path if sources else "",
                            enabled=True)
    marks, extra = _load_state(options)
    scanner.pending = _pending(extra, options)
    tally = Tally(len(compiled["include"]), options.show)
    problems: list[tuple[Status, str]] = []
    notes: list[str] = []
    try:
        if options.journal:
            _read_journal(options, extra, scanner, tally, problems, notes, runtime, cutoff)
        for source in sources:
            if source.problem:
                problems.append((options.missing if source.problem == "missing" else Status.UNKNOWN,
                                 f"{source.path}: {source.problem}"))
                if source.problem == "missing" and options.state and os.path.abspath(source.path) in marks:
                    _read_with_state(options, source.path, marks, scanner, tally, notes, runtime, progress,
                                     zone, cutoff, chooser)
                continue
            try:
                if options.state:
                    _read_with_state(options, source.path, marks, scanner, tally, notes, runtime, progress,
                                     zone, cutoff, chooser)
                else:
                    _read_whole_or_window(options, source.path, scanner, tally, runtime, progress, zone, cutoff,
                                          notes, chooser)
            except PermissionError as error:
                problems.append((Status.UNKNOWN, f"cannot read {source.path}: {error.strerror}"))
            except IsADirectoryError:
                problems.append((Status.UNKNOWN, f"{source.path} is a directory"))
    finally:
        progress.close()
    result = _judge(options, compiled, tally, critical, problems, notes, runtime)
    if options.sticky is not None:
        from cronchecks.log.sticky import apply_sticky

        result = apply_sticky(result, _matched(compiled, tally, options, critical), tally, extra, options.sticky,
                              now.timestamp())
    if options.state:
        from cronchecks.log.state import save

        if options.critical_threshold > 1 or options.warning_threshold > 1:
            extra["pending"] = list(scanner.pending)
        save(options.state, marks, extra)
    return result


def _bytes_at_most(sources: list[Source]) -> int:
    """The sizes of the logs to read, added up (what the progress bar's total starts from)."""
    total = 0
    for source in sources:
        try:
            total += os.stat(source.path).st_size
        except OSError:
            continue  # missing or unreadable: said in the result, nothing to read
    return total


def _zone(options: LogOptions):
    from cronchecks.support.timestamps import resolve_timezone

    return resolve_timezone(options.tz)


def _load_state(options: LogOptions) -> tuple[dict, dict]:
    """The marks of the logs and what else the last run kept (journal cursor, sticky state, pending hits)."""
    if not options.state:
        return {}, {}
    from cronchecks.log.state import load_all

    return load_all(options.state)


def _pending(extra: dict, options: LogOptions) -> list[int]:
    """Hits short of a threshold carried from the last run (none when the thresholds changed meaning)."""
    kept = extra.get("pending")
    if not (isinstance(kept, list) and len(kept) == 2 and all(isinstance(n, int) and n >= 0 for n in kept)):
        return [0, 0]
    return [min(kept[0], options.critical_threshold - 1), min(kept[1], options.warning_threshold - 1)]


def _read_journal(options: LogOptions, extra: dict, scanner, tally: Tally, problems: list, notes: list,
                  runtime: Runtime, cutoff: float | None) -> None:
    """The journal's entries as lines: all of them (or the window), or with --state those after the kept cursor."""
    import io

    from cronchecks.log.journal import JournalSource, newest_cursor, read_entries

    source = JournalSource(options.units, options.priority, options.journal_dir, options.journal_file)
    name = source.describe()
    problem = source.missing()
    if problem:
        problems.append((options.missing if problem == "missing" else Status.UNKNOWN,
                         f"{options.journal_file or options.journal_dir}: {problem}"))
        return
    kept = extra.get("journal") if isinstance(extra.get("journal"), dict) else None
    if options.state and kept is None and not options.from_start:
        extra["journal"] = {"cursor": newest_cursor(source, runtime)}
        notes.append(f"{name}: initialized")
        return
    after = kept.get("cursor") if kept else None
    read = read_entries(source, runtime, after=after if isinstance(after, str) else None, since=cutoff)
    runtime.log(1, f"{name}: {read.entries} entries" + (f" after cursor {after}" if after else ""))
    if options.state:
        extra["journal"] = {"cursor": read.cursor}
        if read.truncated:
            notes.append(f"{name}: more than 64 MiB of entries; the rest is read by the next run")
    elif read.truncated:
        problems.append((Status.UNKNOWN, (f"{name}: more than 64 MiB of entries; narrow it with --since, --unit "
                                          f"or --priority, or use --state")))
    scanner.window = None  # journalctl gives each entry's time: the window was applied to the entries
    scanner.inherited_stamp = None
    found, _ = scanner.scan(io.BytesIO(read.data), None, name)
    tally.add(found)


# --- acquire ----------------------------------------------------------------------------------


def resolve_sources(patterns: tuple[str, ...]) -> list[Source]:
    """The files to read: paths as given, globs expanded (sorted); a glob without a match is missing."""
    sources: list[Source] = []
    seen: set[str] = set()
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        if glob.has_magic(expanded):
            names = sorted(n for n in glob.glob(expanded, recursive="**" in expanded) if os.path.isfile(n))
            if not names:
                sources.append(Source(pattern, "missing"))
            for name in names:
                if name not in seen:
                    seen.add(name)
                    sources.append(Source(name))
            continue
        if expanded in seen:
            continue
        seen.add(expanded)
        if not os.path.exists(expanded):
            sources.append(Source(expanded, "missing"))
        elif os.path.isdir(expanded):
            sources.append(Source(expanded, "is a directory"))
        else:
            sources.append(Source(expanded))
    return sources


def _time_reader(options: LogOptions, path: str, handle, size: int, zone, now):
    from cronchecks.log.timewindow import TimeReader, custom_format, detect_format

    if options.time_format:
        return TimeReader(custom_format(options.time_format), zone, now)
    handle.seek(0)
    sample = handle.read(SAMPLE)
    if size > SAMPLE and not path.endswith((".gz", ".bz2", ".xz")):
        handle.seek(max(SAMPLE, size - SAMPLE))
        sample += b"\n" + handle.read(SAMPLE).partition(b"\n")[2]
    fmt = detect_format(sample, zone, now)
    if fmt is None:
        raise CheckError(f"--since: no timestamp recognised in {path} (ISO 8601, syslog, Apache/nginx, epoch; "
                         f"give --time-format)")
    return TimeReader(fmt, zone, now)


def _read_whole_or_window(options, path, scanner, tally, runtime, progress, zone, cutoff, notes,
                          chooser=None) -> None:
    from cronchecks.log.state import COMPRESSED, open_log

    with open_log(path) as handle:
        size = os.fstat(handle.fileno()).st_size if not path.endswith(COMPRESSED) else 0
        stream, start = _decoded(handle, path, 0, cutoff, chooser)  # refuses --since on a UTF-16/32 log first
        scanner.window = None
        if cutoff is not None:
            if size == 0 and not path.endswith(COMPRESSED):
                return
            from cronchecks.log.timewindow import window_start

            reader = _time_reader(options, path, handle, size, zone, runtime.now())
            if not path.endswith(COMPRESSED):
                start = window_start(handle, size, reader, cutoff, SINCE_MARGIN)
            runtime.log(1, f"{path}: timestamps {reader.format.name}; window starts at byte {start} of {size}")
            scanner.window = (reader, cutoff)
        handle.seek(start)
        scanner.inherited_stamp = None
        progress.next_file(path, size - start)
        pieces = _pieces(scanner, path, stream is handle, size - start)
        if pieces > 1:
            from cronchecks.log.scan import scan_split

            found = scan_split(scanner, handle.fileno(), start, size, path, runtime.deadline, progress, pieces)
            runtime.log(1, f"{path}: scanned in {pieces} pieces side by side")
            tally.add(found)
            runtime.log(1, f"{path}: {found.lines} lines, {found.bytes} bytes from offset {start}")
            return
        found, taken = scanner.scan(stream, None, path, progress)
        if stream is not handle:
            found.bytes = stream.original_length(taken)  # the file's own bytes, not their UTF-8
        runtime.log(1, f"{path}: {found.lines} lines, {found.bytes} bytes from offset {start}")
        tally.add(found)


def _pieces(scanner: LogScanner, path: str, raw: bool, length: int) -> int:
    """Into how many pieces, scanned side by side, a whole-file scan of `length` bytes is cut (1: none)."""
    from cronchecks.log.scan import SPLIT_MIN, can_split, cores
    from cronchecks.log.state import COMPRESSED

    if not raw or path.endswith(COMPRESSED) or length < SPLIT_MIN or not can_split(scanner):
        return 1  # decoded or decompressed streams, and small files, are read as a stream
    return max(1, min(cores(), length // (SPLIT_MIN // 2)))


def _decoded(handle, path: str, start: int, cutoff: float | None, chooser=None):
    """The stream to scan from `start` (decoded to UTF-8 when the log's encoding needs it) and where it starts."""
    from cronchecks.log.encoding import DecodedStream, ascii_compatible, encoding_of

    encoding = (chooser or encoding_of)(handle)
    if encoding is None:
        handle.seek(start)
        return handle, start
    if cutoff is not None and not ascii_compatible(encoding):
        raise CheckError(f"--since: {path} is {encoding.name}; --since reads logs whose timestamps are "
                         f"ASCII bytes (UTF-8, Latin-1, ...) only: count it whole or with --state")
    start = max(start, len(encoding.bom))
    handle.seek(start)
    if encoding.raw:
        return handle, start
    return DecodedStream(handle, encoding), start


def _read_with_state(options, path, marks, scanner, tally, notes, runtime, progress, zone, cutoff,
                     chooser=None) -> None:
    from cronchecks.log.encoding import DecodedStream
    from cronchecks.log.state import fresh_mark, mark_for, open_log, plan

    key = os.path.abspath(path)
    what = plan(path, marks.get(key), options.from_start, chooser)
    if what.note:
        notes.append(f"{path}: {what.note}")
        runtime.log(1, f"{path}: {what.note}")
    if what.initial is not None:
        if what.note != "missing":
            marks[key] = what.initial
        return
    new_mark = marks.get(key)
    log_tally = Tally(len(scanner.include), scanner.keep)  # an ok line in a later segment clears the earlier ones
    for segment in what.segments:
        with open_log(segment.path) as handle:
            stream, start = _decoded(handle, segment.path, segment.start, cutoff, chooser)
            if cutoff is not None:
                size = os.fstat(handle.fileno()).st_size if segment.live else SAMPLE
                scanner.window = (_time_reader(options, segment.path, handle, size, zone, runtime.now()), cutoff)
            else:
                scanner.window = None
            handle.seek(start)
            scanner.inherited_stamp = None
            total = os.fstat(handle.fileno()).st_size - start if segment.live else 0
            progress.next_file(segment.path, total)
            found, taken = scanner.scan(stream, None, segment.path, progress, stop_at_partial_line=segment.live)
            if isinstance(stream, DecodedStream):
                taken = stream.original_length(taken)  # the mark counts the file's own bytes
                found.bytes = taken
        runtime.log(1, f"{segment.path}: {found.lines} lines, {found.bytes} bytes from offset {segment.start}")
        log_tally.add(found, follows=True)
        # A rotated segment is read to its end: what comes at the path from now on is new.
        new_mark = mark_for(segment.path, start + taken) if segment.live else fresh_mark(path)
    tally.add(log_tally)
    if new_mark is not None:
        marks[key] = new_mark


# --- judge ------------------------------------------------------------------------------------


def _quoted(text: str, limit: int = 40) -> str:
    shown = text if len(text) <= limit else text[:limit - 3] + "..."
    return f"'{shown}'"


def _matched(compiled: dict, tally: Tally, options: LogOptions, critical: Range | None) -> Status:
    """What the hits alone say: the count judged by the ranges, and the critical and warning patterns."""
    statuses = [judge(tally.total, options.warning, critical)] if compiled["include"] else [Status.OK]
    if tally.critical:
        statuses.append(Status.CRITICAL)
    if tally.warning:
        statuses.append(Status.WARNING)
    return worst(statuses)


def _judge(options: LogOptions, compiled: dict, tally: Tally, critical: Range | None,
           problems: list[tuple[Status, str]], notes: list[str], runtime: Runtime) -> Result:
    unit = "records" if options.record_start else "lines"
    include = compiled["include"]
    status = worst([_matched(compiled, tally, options, critical), *(status for status, _ in problems)])

    if options.state and notes and all(n.endswith(": initialized") for n in notes) and not tally.bytes:
        where = ", ".join(n.rsplit(": ", 1)[0] for n in notes)
        summary = f"initialized: {where} positioned at the end; the next run counts what is appended"
        if options.from_start:
            summary = f"initialized: {where}"
    else:
        parts = []
        if include:
            if len(include) == 1:
                parts.append(f"{tally.total} {unit} matching {_quoted(include[0].text)}")
            else:
                each = ", ".join(f"{_quoted(p.text, 24)} {n}" for p, n in zip(include, tally.per_pattern, strict=True))
                parts.append(f"{tally.total} matching {unit} ({each})")
        if compiled["critical"]:
            parts.append(f"{tally.critical} critical-pattern {unit}")
        if compiled["warning"]:
            parts.append(f"{tally.warning} warning-pattern {unit}")
        scope = ""
        if options.since is not None:
            scope = f" in the last {format_duration(options.since)}"
        elif options.state:
            scope = " since the last run"
        summary = ", ".join(parts) + scope
        breached = critical if status is Status.CRITICAL else options.warning if status is Status.WARNING else None
        if include and breached is not None and breached.alerts(tally.total):
            summary += f" ({status.name.lower()} {breached.describe()})"
        if tally.cleared and tally.ok_line is not None:
            summary += f" (counted after the newest ok line: {trim_line(tally.ok_line)})"
        if tally.newest is not None:
            summary += f"; newest: {tally.newest}"
    if problems:
        summary = "; ".join(text for _, text in problems) + ("; " + summary if summary else "")

    perfdata = []
    if include:
        perfdata.append(Perfdata("matches", tally.total, "", options.warning, critical, minimum=0))
        if len(include) > 1:
            # Labels without spaces or quotes (graphing tools and the Datadog integration split on
            # them): pattern_1, pattern_2...; the long output says which pattern each one is.
            for number, count in enumerate(tally.per_pattern, start=1):
                perfdata.append(Perfdata(f"pattern_{number}", count, "", minimum=0))
    if compiled["critical"]:
        perfdata.append(Perfdata("critical_pattern", tally.critical, "", minimum=0))
    if compiled["warning"]:
        perfdata.append(Perfdata("warning_pattern", tally.warning, "", minimum=0))
    perfdata.append(Perfdata("lines", tally.lines, "", minimum=0))
    perfdata.append(Perfdata("bytes", tally.bytes, "B", minimum=0))

    details: list[str] = []
    if len(include) > 1:
        details.extend(f"pattern_{number}: {pattern.text}" for number, pattern in enumerate(include, start=1))
    if runtime.verbosity >= 1:
        details.extend(notes)
        details.extend(tally.recent[-options.show:] if options.show else [])
    return Result(status, summary, perfdata, details)
