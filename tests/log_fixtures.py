"""Generated logs for check-log's tests: every timestamp format, known contents, real logrotate runs."""

from __future__ import annotations

import random
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cronchecks.core.runtime import Runtime
from cronchecks.log.check import LogOptions, check_log

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


def runtime(now: datetime = NOW, verbosity: int = 0) -> Runtime:
    return Runtime(now=lambda: now, env={}, deadline=time.monotonic() + 30, verbosity=verbosity)


def run_log(*files, now: datetime = NOW, verbosity: int = 0, **options):
    """check_log on these files with these options (tuples for the repeatable ones)."""
    for key in ("patterns", "critical_patterns", "warning_patterns", "excludes"):
        if isinstance(options.get(key), str):
            options[key] = (options[key],)
    return check_log(LogOptions(files=tuple(str(f) for f in files), **options), runtime(now, verbosity))


def perf(result, label: str) -> float:
    return next(p.value for p in result.perfdata if p.label == label)


def grep_count(path: Path, pattern: str, *flags: str) -> int:
    """What the real `grep -c` says (C locale, file read as text)."""
    done = subprocess.run(["grep", "-c", "-a", *flags, "--", pattern, str(path)], capture_output=True,
                          env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    assert done.returncode in (0, 1), done.stderr
    return int(done.stdout)


# --- timestamp layouts -----------------------------------------------------------------------

def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def python_logging(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f",{moment.microsecond // 1000:03d}"


def syslog(moment: datetime) -> str:
    return moment.strftime("%b ") + f"{moment.day:>2}" + moment.strftime(" %H:%M:%S")


def apache(moment: datetime) -> str:
    return moment.strftime("[%d/%b/%Y:%H:%M:%S +0000]")


def epoch(moment: datetime) -> str:
    return f"{moment.timestamp():.3f}"


def custom(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M:%S")


# name -> (how a line is written, --time-format to read it with or None for auto-detection)
LAYOUTS = {
    "iso8601": (lambda m, rest: f"{iso(m)} {rest}", None),
    "python": (lambda m, rest: f"{python_logging(m)} {rest}", None),
    "django": (lambda m, rest: f"{rest.split(' ', 1)[0]} {python_logging(m)} {rest.split(' ', 1)[-1]}", None),
    "syslog": (lambda m, rest: f"{syslog(m)} host app[42]: {rest}", None),
    "apache": (lambda m, rest: f'10.0.0.{m.second % 250} - - {apache(m)} "GET /x HTTP/1.1" 500 12 {rest}', None),
    "epoch": (lambda m, rest: f"{epoch(m)} {rest}", None),
    "custom": (lambda m, rest: f"<{custom(m)}> {rest}", "%d.%m.%Y %H:%M:%S"),
}

MESSAGES = [
    "INFO request served in 12 ms",
    "INFO cache miss for user 42",
    "ERROR database query failed: timeout",
    "CRITICAL: disk full on /var",
    "WARNING slow query took 5200 ms",
    "ERROR CRITICAL: both at once",
    "error lower case message",
    "INFO Critical section entered",
    "DEBUG payload \x7f odd bytes",
]


def generate_log(path: Path, layout: str, start: datetime, count: int, step: float = 1.0, seed: int = 7,
                 continuation_every: int = 0, shuffle_within: int = 0) -> list[tuple[datetime, str]]:
    """Write `count` lines one `step` apart; return (timestamp, line) of each timestamped line.

    `continuation_every` adds a timestamp-less line after every n-th line (it belongs to the
    line before); `shuffle_within` swaps neighbouring lines up to that many places (a
    multi-threaded writer).
    """
    rng = random.Random(seed)
    write, _ = LAYOUTS[layout]
    entries = []
    for index in range(count):
        moment = start + timedelta(seconds=index * step, microseconds=rng.randrange(0, 1000) * 1000)
        entries.append((moment, write(moment, rng.choice(MESSAGES))))
    if shuffle_within:
        for index in range(len(entries) - 1):
            other = min(len(entries) - 1, index + rng.randrange(0, shuffle_within + 1))
            entries[index], entries[other] = entries[other], entries[index]
    lines = []
    for index, (_moment, line) in enumerate(entries):
        lines.append(line)
        if continuation_every and index % continuation_every == continuation_every - 1:
            lines.append("    at continuation CRITICAL: in a stack frame")
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return entries


# --- real logrotate ----------------------------------------------------------------------------

LOGROTATE = "/usr/sbin/logrotate"


class Rotator:
    """Debian's logrotate with a config and a state file this test writes, forced on each call."""

    def __init__(self, folder: Path, log: Path, directives: str) -> None:
        if not Path(LOGROTATE).exists():
            pytest.skip("logrotate is not installed (apt-get install logrotate)")
        self.config = folder / "logrotate.conf"
        self.status = folder / "logrotate.status"
        self.config.write_text(f"{log} {{\n    rotate 10\n    missingok\n    {directives}\n}}\n")
        self.config.chmod(0o644)

    def rotate(self) -> None:
        done = subprocess.run([LOGROTATE, "-f", "-s", str(self.status), str(self.config)], capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr


# --- check_logfiles (ConSol's, Debian's monitoring-plugins-check-logfiles) ------------------------

CHECK_LOGFILES = "/usr/lib/nagios/plugins/check_logfiles"
EXIT_STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


class CheckLogfiles:
    """The real check_logfiles on one log, with its seek and protocol files in a folder of the test's.

    Like check-log with --state (and no --from-start), its first run only sets its position.
    """

    def __init__(self, folder: Path, log: Path, *options: str, rotation: str | None = None) -> None:
        if not Path(CHECK_LOGFILES).exists():
            pytest.skip("check_logfiles is not installed (apt-get install monitoring-plugins-check-logfiles)")
        self.folder = folder / "check_logfiles"
        (self.folder / "seek").mkdir(parents=True, exist_ok=True)
        (self.folder / "protocols").mkdir(exist_ok=True)
        self.argv = [CHECK_LOGFILES, "--seekfilesdir", str(self.folder / "seek"),
                     "--protocolsdir", str(self.folder / "protocols"), "--logfile", str(log), "--tag", "t",
                     *(["--rotation", rotation] if rotation else []), *options]

    def run(self) -> tuple[str, int, int]:
        """Its state, and its critical and warning counts (from its perfdata)."""
        done = subprocess.run(self.argv, capture_output=True, text=True, timeout=30)
        assert done.returncode in EXIT_STATES, (done.returncode, done.stdout, done.stderr)
        perfdata = done.stdout.partition("|")[2]
        counts = dict(item.replace("'", "").split("=", 1) for item in perfdata.split() if "=" in item)
        return EXIT_STATES[done.returncode], int(counts["t_criticals"]), int(counts["t_warnings"])


# --- journal files made by systemd-journal-remote ------------------------------------------------

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT_ID = "1b4e28ba2fa1435f9a5e2d2d1b3c4d5e"


class JournalEntry:
    """One entry as the test writes it in journal export format."""

    def __init__(self, moment: float, message: str | bytes, priority: int = 6, unit: str = "app.service") -> None:
        self.moment, self.message, self.priority, self.unit = moment, message, priority, unit


def write_journal(path: Path, entries: list[JournalEntry], first_seqnum: int = 1) -> Path:
    """A real journal file: the entries in export format, turned into a journal by systemd-journal-remote."""
    if not Path(JOURNAL_REMOTE).exists():
        pytest.skip("systemd-journal-remote is not installed (apt-get install systemd-journal-remote)")
    stream = bytearray()
    for number, entry in enumerate(entries, start=first_seqnum):
        stream += (f"__CURSOR=s=0;i={number}\n__REALTIME_TIMESTAMP={int(entry.moment * 1_000_000)}\n"
                   f"__MONOTONIC_TIMESTAMP={number}\n_BOOT_ID={BOOT_ID}\n_HOSTNAME=testhost\n"
                   f"PRIORITY={entry.priority}\n_SYSTEMD_UNIT={entry.unit}\nSYSLOG_IDENTIFIER=app\n").encode()
        message = entry.message
        if isinstance(message, bytes) or "\n" in message:
            # The export format's binary field: the name, a newline, a 64-bit little-endian size, the data.
            data = message if isinstance(message, bytes) else message.encode()
            stream += b"MESSAGE\n" + len(data).to_bytes(8, "little") + data + b"\n"
        else:
            stream += f"MESSAGE={message}\n".encode()
        stream += b"\n"
    done = subprocess.run([JOURNAL_REMOTE, "-o", str(path), "-"], input=bytes(stream), capture_output=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return path


def journalctl_grep(*args: str) -> int:
    """How many entries the real `journalctl -g` shows (its own MESSAGE grep), for the differential tests."""
    done = subprocess.run(["journalctl", "--no-pager", "-q", "-o", "cat", *args], capture_output=True, timeout=30)
    assert done.returncode in (0, 1), done.stderr
    return len(done.stdout.splitlines())
