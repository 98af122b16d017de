"""check-heartbeat: is the newest sign of life (file, timestamp, JSON field, SQL value) fresh enough?"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, format_duration, format_size, judge, plain_number
from cronchecks.support.timestamps import TimestampError, parse_timestamp, resolve_timezone, to_timestamp

# A heartbeat written with --content is a short file; reading its tail is enough and
# bounds the work if someone points the check at a log by mistake.
_CONTENT_TAIL = 4096


@dataclass(frozen=True, kw_only=True)
class HeartbeatOptions:
    """Where the heartbeat is and how its age is judged."""

    file: str | None = None
    content: bool = False
    min_size: float | None = None
    url: str | None = None
    json_path: str | None = None
    headers: tuple[str, ...] = ()
    cacert: str | None = None
    insecure: bool = False
    max_body: int | None = None  # bytes of the --url answer read at most; None: the HTTP client's 10 MiB
    db: str | None = None
    db_env: str | None = None
    db_file: str | None = None
    query: str | None = None
    schedule: str | None = None
    grace: float = 0.0
    tz: str | None = None
    max_skew: float = 60.0
    size_warning: Range | None = None  # on the heartbeat file's size (check_file_age's -W/-C)
    size_critical: Range | None = None
    missing_result: Status = Status.CRITICAL  # no heartbeat at all (check_file_age's -i: OK)
    late_result: Status = Status.OK  # with --schedule: a missed run whose grace still runs ("late")
    warning: Range | None = None
    critical: Range | None = None


class Sighting(NamedTuple):
    """The newest heartbeat found: when, and where it was read (None: no heartbeat at all)."""

    moment: datetime | None
    source: str
    note: str = ""
    size: int | None = None  # bytes, for a heartbeat file


class NoHeartbeat(Exception):
    """The source exists as configured but holds no heartbeat: CRITICAL, with this reason."""


class MissingHeartbeat(NoHeartbeat):
    """No heartbeat was ever written (no file, no row, a null field): --missing-result's state.

    Kept apart from a heartbeat that is there but unusable (too small, unparsable, an endpoint that
    fails), which stays CRITICAL: a job that has not run yet on a new host may be fine, a broken one is not.
    """


def validate(options: HeartbeatOptions) -> None:
    """Reject option combinations that cannot mean anything, before any I/O."""
    sources = [flag for flag, given in (
        ("--file", options.file),
        ("--url", options.url),
        ("--db/--db-env/--db-file", options.db or options.db_env or options.db_file),
    ) if given]
    if len(sources) != 1:
        raise UsageError(
            "give exactly one heartbeat source: --file, --url or --db" if not sources
            else f"give one heartbeat source, not {' and '.join(sources)}"
        )
    if options.url and not options.json_path:
        raise UsageError("--url needs --json-path, the field holding the timestamp (e.g. '$.lastHeartbeatAt')")
    if options.json_path and not options.url:
        raise UsageError("--json-path goes with --url")
    if sources[0].startswith("--db") and not options.query:
        raise UsageError("--db needs --query, a query whose first value is the newest heartbeat")
    if options.query and not sources[0].startswith("--db"):
        raise UsageError("--query goes with --db")
    if (options.content or options.min_size is not None) and not options.file:
        raise UsageError("--content and --min-size go with --file")
    if (options.size_warning or options.size_critical) and not options.file:
        raise UsageError("--size-warning and --size-critical go with --file")
    if options.schedule is None and options.warning is None and options.critical is None:
        raise UsageError("nothing to judge the age by: give -w/-c (e.g. -w 5m -c 15m) or --schedule")
    if options.grace and not options.schedule:
        raise UsageError("--grace goes with --schedule")
    if options.late_result is not Status.OK and not options.schedule:
        raise UsageError("--late-result goes with --schedule")
    if options.max_skew < 0:
        raise UsageError("--max-skew cannot be negative")
    if options.max_body is not None and options.max_body < 1:
        raise UsageError("--max-body must be at least 1 byte")


def check_heartbeat(options: HeartbeatOptions, runtime: Runtime) -> Result:
    """Find the newest heartbeat and judge its age by thresholds and/or a cron schedule."""
    validate(options)
    zone = resolve_timezone(options.tz)
    schedule_due = _latest_due(options, runtime.now(), zone, options.grace) if options.schedule else None
    latest_slot = _latest_due(options, runtime.now(), zone, 0.0) if options.schedule else None
    try:
        sighting = _find(options, runtime, zone)
    except MissingHeartbeat as missing:
        return Result(options.missing_result, f"no heartbeat: {missing}")
    except NoHeartbeat as unusable:
        return Result(Status.CRITICAL, f"no heartbeat: {unusable}")
    return _judge(options, sighting, runtime.now(), schedule_due, latest_slot)


# --- acquire ----------------------------------------------------------------------


def _find(options: HeartbeatOptions, runtime: Runtime, zone: tzinfo) -> Sighting:
    if options.file:
        return _from_file(options, runtime, zone)
    if options.url:
        return _from_url(options, runtime, zone)
    return _from_database(options, runtime, zone)


def _from_file(options: HeartbeatOptions, runtime: Runtime, zone: tzinfo) -> Sighting:
    pattern = os.path.expanduser(options.file or "")
    if glob.has_magic(pattern):
        path, count = _newest_match(pattern)
        where = f"{path} (newest of {count} matching {pattern})" if count > 1 else str(path)
    else:
        path, where = Path(pattern), pattern
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MissingHeartbeat(f"{pattern} does not exist") from None
    except OSError as error:
        raise CheckError(f"cannot read {pattern}: {error.strerror or error}") from None
    runtime.log(1, f"heartbeat file {path}: {info.st_size} bytes, mtime {info.st_mtime}")
    if options.min_size is not None and info.st_size < options.min_size:
        raise NoHeartbeat(f"{where} is {info.st_size} B, below the --min-size of {plain_number(options.min_size)} B")
    if not options.content:
        return Sighting(datetime.fromtimestamp(info.st_mtime, tz=zone), where, "modified", info.st_size)
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, info.st_size - _CONTENT_TAIL))
            tail = handle.read(_CONTENT_TAIL)
    except OSError as error:
        raise CheckError(f"cannot read {path}: {error.strerror or error}") from None
    lines = [line.strip() for line in tail.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        raise NoHeartbeat(f"{where} is empty (no timestamp in it)")
    try:
        return Sighting(parse_timestamp(lines[-1], zone), where, "says", info.st_size)
    except TimestampError as error:
        raise NoHeartbeat(f"{where}: {error}") from None


def _newest_match(pattern: str) -> tuple[Path, int]:
    newest: tuple[float, Path] | None = None
    count = 0
    for name in glob.iglob(pattern, recursive="**" in pattern):
        try:
            info = os.stat(name)
        except OSError:
            continue  # vanished between listing and stat: rotation in progress
        if not os.path.isfile(name):
            continue
        count += 1
        if newest is None or info.st_mtime > newest[0]:
            newest = (info.st_mtime, Path(name))
    if newest is None:
        raise MissingHeartbeat(f"no file matches {pattern}")
    return newest[1], count


def _from_url(options: HeartbeatOptions, runtime: Runtime, zone: tzinfo) -> Sighting:
    from cronchecks.support.jsonpaths import JsonPathError, compile_path
    from cronchecks.support.secrets import redact_url

    try:
        path = compile_path(options.json_path or "")
    except JsonPathError as error:
        raise UsageError(f"invalid --json-path: {error}") from None
    shown = redact_url(options.url or "")
    from cronchecks.support.httpclient import DEFAULT_MAX_BODY, HttpClient, HttpFailure, parse_header

    headers = {"Accept": "application/json"}
    headers.update(parse_header(header) for header in options.headers)
    if not (options.url or "").lower().startswith(("http://", "https://")):
        raise UsageError(f"invalid --url {shown} (http:// or https:// expected)")
    if options.insecure and options.cacert:
        raise UsageError("--insecure and --cacert contradict each other: give one")
    # The house rules (CAs and proxies from the environment handed in, never ~/.netrc, one
    # User-Agent, a bounded body), the same as check-http's.
    try:
        max_body = DEFAULT_MAX_BODY if options.max_body is None else int(options.max_body)
        with HttpClient(runtime.env, verify=not options.insecure, cafile=options.cacert, max_body=max_body) as client:
            answer = client.request("GET", options.url or "", headers=headers, timeout=runtime.remaining())
    except UsageError as error:
        raise UsageError(f"invalid --url {shown}: {error}") from None
    except HttpFailure as failure:
        raise NoHeartbeat(failure.describe(shown)) from None
    cut = f", cut at --max-body {answer.max_body} B" if answer.truncated else ""
    runtime.log(1, f"GET {shown}: {answer.status}, {len(answer.body)} bytes{cut}")
    if not 200 <= answer.status < 300:
        raise NoHeartbeat(f"{shown} answered {answer.status} {answer.reason}")
    if answer.truncated:
        # Cut JSON does not parse; say why rather than "not JSON".
        raise NoHeartbeat(f"{shown} answered more than --max-body {answer.max_body} B: the JSON was cut")
    import json

    try:
        body = json.loads(answer.body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        raise NoHeartbeat(f"{shown} did not answer JSON") from None
    matches = path.values(body)
    if not matches:
        raise MissingHeartbeat(f"{shown} has nothing at {options.json_path}")
    value = matches[0]
    if value is None or value == "":
        raise MissingHeartbeat(f"{options.json_path} is empty at {shown}")
    try:
        return Sighting(to_timestamp(value, zone), f"{shown} {options.json_path}", "says")
    except TimestampError as error:
        raise NoHeartbeat(f"{options.json_path} at {shown}: {error}") from None


def _from_database(options: HeartbeatOptions, runtime: Runtime, zone: tzinfo) -> Sighting:
    from cronchecks.support.sql import DatabaseUnreachable, fetch_scalar

    try:
        answer, where = fetch_scalar(db=options.db, db_env=options.db_env, db_file=options.db_file,
                                     query=options.query or "", runtime=runtime)
    except DatabaseUnreachable as error:
        raise NoHeartbeat(str(error)) from None
    if not answer.found:
        raise MissingHeartbeat(f"the query returned no row ({where})")
    if answer.value is None:
        raise MissingHeartbeat(f"the query returned NULL ({where})")
    try:
        return Sighting(to_timestamp(answer.value, zone), where, "says")
    except TimestampError as error:
        raise CheckError(f"the query's value is not a timestamp: {error}") from None


# --- judge ------------------------------------------------------------------------


def _latest_due(options: HeartbeatOptions, now: datetime, zone: tzinfo, grace: float) -> datetime | None:
    """The latest scheduled time whose `grace` has run out: a heartbeat must be newer."""
    from cronsim import CronSim, CronSimError

    cutoff = (now - timedelta(seconds=grace)).astimezone(zone)
    try:
        # cronsim's reverse iteration is strictly before its start; one second later
        # lets a scheduled time exactly at the cutoff count as due.
        earlier = CronSim(options.schedule or "", cutoff.replace(microsecond=0) + timedelta(seconds=1), reverse=True)
        for due in earlier:
            if due <= cutoff:
                return due
    except CronSimError as error:
        raise UsageError(f"invalid --schedule {options.schedule!r}: {error}") from None
    except StopIteration:
        pass
    return None


def _judge(options: HeartbeatOptions, sighting: Sighting, now: datetime, due: datetime | None,
           latest_slot: datetime | None = None) -> Result:
    assert sighting.moment is not None
    age = (now - sighting.moment).total_seconds()
    perfdata = [Perfdata("age", round(max(age, 0.0), 3), "s", options.warning, options.critical, minimum=0)]
    size_status = Status.OK
    size_note = ""
    if sighting.size is not None:
        perfdata.append(Perfdata("size", sighting.size, "B", options.size_warning, options.size_critical, minimum=0))
        size_status = judge(sighting.size, options.size_warning, options.size_critical)
        if size_status is not Status.OK:
            breached = options.size_critical if size_status is Status.CRITICAL else options.size_warning
            assert breached is not None
            verdict = f"{size_status.name.lower()} {breached.describe(format_size)}"
            size_note = f"; size {format_size(sighting.size)} ({verdict})"
    result = _judge_age(options, sighting, age, now, due, latest_slot, perfdata)
    if size_status is Status.OK:
        return result
    return Result(worst([result.status, size_status]), result.summary + size_note, result.perfdata, result.details)


def _judge_age(options: HeartbeatOptions, sighting: Sighting, age: float, now: datetime, due: datetime | None,
               latest_slot: datetime | None, perfdata: list[Perfdata]) -> Result:
    assert sighting.moment is not None
    perf = perfdata
    when = sighting.moment.isoformat(timespec="seconds")
    if age < -options.max_skew:
        return Result(
            Status.WARNING,
            f"{sighting.source} is {format_duration(-age)} in the future ({when}): clock skew?",
            perf,
        )
    age = max(age, 0.0)
    status = judge(age, options.warning, options.critical)
    if sighting.note == "modified":
        summary = f"{sighting.source} updated {format_duration(age)} ago"
    else:
        summary = f"{sighting.source}: last heartbeat {format_duration(age)} ago"
    breached = options.critical if status is Status.CRITICAL else options.warning if status is Status.WARNING else None
    if breached is not None:
        summary += f" ({status.name.lower()} {breached.describe(format_duration)})"
    details = [f"newest heartbeat: {when}"] if status is not Status.OK or due is not None else []
    if due is not None:
        details.append(f"latest scheduled run due: {due.isoformat(timespec='minutes')} "
                       f"(+{format_duration(options.grace)} grace)")
        if sighting.moment < due:
            status = Status.CRITICAL
            summary = (
                f"{sighting.source}: no heartbeat since the run scheduled at "
                f"{due.isoformat(timespec='minutes')} (grace {format_duration(options.grace)}); "
                f"last {format_duration(age)} ago"
            )
        elif latest_slot is not None and sighting.moment < latest_slot and options.late_result is not Status.OK:
            # The newest run is missed but its grace still runs: healthchecks' "late".
            status = worst([status, options.late_result])
            ends = (latest_slot + timedelta(seconds=options.grace)).isoformat(timespec="minutes")
            summary = (
                f"{sighting.source}: late, no heartbeat yet for the run scheduled at "
                f"{latest_slot.isoformat(timespec='minutes')} (grace ends {ends}); last {format_duration(age)} ago"
            )
    return Result(status, summary, perf, details)
