"""The wrapper's memory in SQLite: check states, every result, the outbox, the remediation log."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cronchecks.alerting.policy import CheckState, Decision
from cronchecks.core.result import Status

SCHEMA_VERSION = 4
UNATTEMPTED_EXPIRY_FACTOR = 7  # a message no run was configured to send goes after 7 outbox expiries
MIN_ATTEMPTS_TO_EXPIRE = 3  # ... one that was tried goes only after this many attempts, spread over the expiry
_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    name TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    since REAL NOT NULL,
    consecutive INTEGER NOT NULL,
    announced INTEGER,
    problem_since REAL,
    last_notice REAL,
    runs_since_notice INTEGER NOT NULL DEFAULT 0,
    flapping INTEGER NOT NULL DEFAULT 0,
    last_run REAL NOT NULL,
    last_summary TEXT NOT NULL DEFAULT '',
    last_output TEXT NOT NULL DEFAULT '',
    problem_output TEXT NOT NULL DEFAULT '',
    held TEXT
);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    check_name TEXT NOT NULL,
    at REAL NOT NULL,
    status INTEGER NOT NULL,
    exit_code INTEGER,
    duration REAL NOT NULL,
    summary TEXT NOT NULL,
    perfdata TEXT NOT NULL DEFAULT '[]',
    in_downtime INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS results_by_check ON results (check_name, at);
CREATE INDEX IF NOT EXISTS results_by_time ON results (at);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    claimed_until REAL NOT NULL DEFAULT 0,
    claimed_by INTEGER,
    last_error TEXT,
    first_attempt REAL,
    last_attempt REAL
);
CREATE INDEX IF NOT EXISTS outbox_by_channel ON outbox (channel, id);
CREATE TABLE IF NOT EXISTS remediations (
    id INTEGER PRIMARY KEY,
    check_name TEXT NOT NULL,
    at REAL NOT NULL,
    command TEXT NOT NULL,
    exit_code INTEGER,
    output TEXT NOT NULL DEFAULT '',
    helped INTEGER
);
CREATE INDEX IF NOT EXISTS remediations_by_check ON remediations (check_name, at);
CREATE TABLE IF NOT EXISTS skipped (
    id INTEGER PRIMARY KEY,
    check_name TEXT NOT NULL,
    at REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS skipped_by_check ON skipped (check_name, at);
CREATE TABLE IF NOT EXISTS downtimes (
    id INTEGER PRIMARY KEY,
    pattern TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS downtimes_by_end ON downtimes (end);
CREATE TABLE IF NOT EXISTS acknowledgements (
    check_name TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    sticky INTEGER NOT NULL DEFAULT 0,
    expires REAL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS told (
    check_name TEXT NOT NULL,
    channel TEXT NOT NULL,
    since REAL NOT NULL,
    PRIMARY KEY (check_name, channel)
);
"""
# Schema 4 (the alerting that knows when to stay quiet): downtimes (a check name or glob, a span), a check's
# acknowledgement, which channels were told of each open problem (a recovery goes to exactly those), why a
# check's notices are held (checks.held: "downtime", "dependency: db CRITICAL"...; NULL: not held), and whether a
# result was recorded inside a downtime (results.in_downtime), which the report counts apart.


class StoreError(Exception):
    """The store cannot be used (unwritable, corrupt, a planted link, a newer schema): the run goes on unrecorded."""


class ResultRow(NamedTuple):
    """One run of a check, as recorded."""

    check_name: str
    at: float
    status: Status
    exit_code: int | None
    duration: float
    summary: str
    perfdata: Sequence[dict[str, Any]] = ()
    in_downtime: bool = False  # recorded inside a downtime or maintenance window (the report counts it apart)


class Downtime(NamedTuple):
    id: int
    patterns: tuple[str, ...]  # check names or globs
    start: float
    end: float
    comment: str
    created: float


class Acknowledgement(NamedTuple):
    check_name: str
    status: Status  # the problem state acknowledged
    comment: str
    sticky: bool
    expires: float | None
    created: float


class CheckRow(NamedTuple):
    """A check as `cronchecks status` shows it."""

    name: str
    status: Status
    since: float
    announced: Status | None
    problem_since: float | None
    last_run: float
    summary: str
    held: str | None
    flapping: bool


class OutboxEntry(NamedTuple):
    id: int
    created: float
    channel: str
    event: dict[str, Any]
    attempts: int


class Store:
    """One SQLite file, safe for concurrent runs (WAL, busy timeout, short IMMEDIATE transactions).

    A run killed at any instant leaves it consistent: a result, the state it leads to
    and the messages it announces are written in one transaction, so an announced alert
    is always in the outbox until a channel has taken it.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / "cronchecks.sqlite3"
        try:
            self._open(directory)
        except (sqlite3.Error, OSError) as error:
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise StoreError(f"cannot use the store {self.path}: {reason}") from None

    def _open(self, directory: Path) -> None:
        # The store holds job output: its folder is the owner's (0700) and the file 0600,
        # whatever the umask; SQLite gives the -wal and -shm files the database's mode.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not directory.is_dir():
            raise StoreError(f"cannot use the store: {directory} is not a folder")
        if self.path.is_symlink():
            raise StoreError(f"refusing the store {self.path}: it is a symbolic link (planted?)")
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(descriptor)
        # Delivery threads share the connection; every use goes through a transaction,
        # and transactions are serialised by a lock of our own.
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self.guard = threading.RLock()
        self.db.create_function("pid_alive", 1, _pid_alive, deterministic=False)
        self.db.execute("PRAGMA busy_timeout = 60000")
        mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":  # e.g. a network filesystem: still correct, only slower
            self.db.execute("PRAGMA journal_mode = DELETE")
        self.db.execute("PRAGMA synchronous = NORMAL")
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            self.db.close()
            raise StoreError(f"the store {self.path} was written by a newer cronchecks (schema {found}, this one "
                             f"knows {SCHEMA_VERSION}): not recorded")
        if found < SCHEMA_VERSION:
            with self.transaction():
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                if 0 < version < 2:  # a store from before the first failure's output was kept
                    self.db.execute("ALTER TABLE checks ADD COLUMN problem_output TEXT NOT NULL DEFAULT ''")
                if 0 < version < 3:  # before expiry counted attempts rather than trusting one clock
                    self.db.execute("ALTER TABLE outbox ADD COLUMN first_attempt REAL")
                    self.db.execute("ALTER TABLE outbox ADD COLUMN last_attempt REAL")
                if 0 < version < 4:  # before downtimes, acknowledgements and dependencies held notices
                    self.db.execute("ALTER TABLE checks ADD COLUMN held TEXT")
                    self.db.execute("ALTER TABLE results ADD COLUMN in_downtime INTEGER NOT NULL DEFAULT 0")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> _Transaction:
        return _Transaction(self.db, self.guard)

    # --- states and results ---------------------------------------------------------

    def record(self, row: ResultRow, decide: Callable[[CheckState | None, list[Status]], Decision],
               events_for: Callable[[Decision, str], list[tuple[str, dict[str, Any]]]], *,
               output: str = "", keep_seconds: float | None = None,
               in_downtime: Callable[[], bool] | None = None) -> Decision:
        """Store a result, move the check's state on, and queue what it announces, atomically.

        `decide` gets the previous state and the recent statuses (oldest first, this one
        last); `events_for` turns the decision, with the output of the first failure of
        the problem it may end, into (channel fingerprint, event) pairs.
        """
        with self.transaction():
            previous = self.state(row.check_name)
            before = self.db.execute("SELECT problem_output FROM checks WHERE name = ?",
                                     (row.check_name,)).fetchone()
            first_failure = before[0] if before else ""
            if row.status is Status.OK:
                kept = ""
            elif previous is None or previous.consecutive == 0:
                kept = output  # this run starts a problem: its output is the one to recall
            else:
                kept = first_failure
            recent = [Status(s) for (s,) in self.db.execute(
                "SELECT status FROM results WHERE check_name = ? ORDER BY at DESC, id DESC LIMIT 19",
                (row.check_name,))][::-1]
            decision = decide(previous, [*recent, row.status])
            if in_downtime is not None:
                row = row._replace(in_downtime=in_downtime())
            self.db.execute(
                "INSERT INTO results (check_name, at, status, exit_code, duration, summary, perfdata, in_downtime) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.check_name, row.at, int(row.status), row.exit_code, row.duration, row.summary,
                 json.dumps(list(row.perfdata)), int(row.in_downtime)))
            state = decision.state
            self.db.execute(
                "INSERT INTO checks (name, status, since, consecutive, announced, problem_since, last_notice, "
                "runs_since_notice, flapping, last_run, last_summary, last_output, problem_output, held) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "status = excluded.status, since = excluded.since, consecutive = excluded.consecutive, "
                "announced = excluded.announced, problem_since = excluded.problem_since, "
                "last_notice = excluded.last_notice, runs_since_notice = excluded.runs_since_notice, "
                "flapping = excluded.flapping, last_run = excluded.last_run, "
                "last_summary = excluded.last_summary, last_output = excluded.last_output, "
                "problem_output = excluded.problem_output, held = excluded.held",
                (row.check_name, int(state.status), state.since, state.consecutive,
                 None if state.announced is None else int(state.announced), state.problem_since,
                 state.last_notice, state.runs_since_notice, int(state.flapping), row.at, row.summary, output, kept,
                 decision.held))
            if decision.ack_ended:
                self.db.execute("DELETE FROM acknowledgements WHERE check_name = ?", (row.check_name,))
            for channel, event in events_for(decision, first_failure):
                self.enqueue(channel, event, now=row.at)
            if keep_seconds is not None:  # this check's history only: other checks keep their own --keep
                cutoff = row.at - keep_seconds
                for table in ("results", "remediations", "skipped"):
                    self.db.execute(f"DELETE FROM {table} WHERE check_name = ? AND at < ?", (row.check_name, cutoff))
        return decision

    def record_skipped(self, name: str, at: float, reason: str) -> None:
        """A run that did not happen (the lock was held): counted and shown, never a state of the check."""
        with self.transaction():
            self.db.execute("INSERT INTO skipped (check_name, at, reason) VALUES (?, ?, ?)", (name, at, reason))

    def skipped(self, name: str) -> list[tuple[float, str]]:
        return self.db.execute("SELECT at, reason FROM skipped WHERE check_name = ? ORDER BY at, id",
                               (name,)).fetchall()

    def state(self, name: str) -> CheckState | None:
        row = self.db.execute(
            "SELECT status, since, consecutive, announced, problem_since, last_notice, runs_since_notice, flapping "
            "FROM checks WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return CheckState(Status(row[0]), row[1], row[2], None if row[3] is None else Status(row[3]),
                          row[4], row[5], row[6], bool(row[7]))

    def results(self, name: str | None = None, since: float | None = None) -> list[ResultRow]:
        query = ("SELECT check_name, at, status, exit_code, duration, summary, perfdata, in_downtime FROM results "
                 "WHERE 1 = 1")
        args: list[Any] = []
        if name is not None:
            query += " AND check_name = ?"
            args.append(name)
        if since is not None:
            query += " AND at >= ?"
            args.append(since)
        rows = self.db.execute(query + " ORDER BY at, id", args).fetchall()
        return [ResultRow(r[0], r[1], Status(r[2]), r[3], r[4], r[5], json.loads(r[6]), bool(r[7])) for r in rows]

    def last_success(self, name: str) -> float | None:
        """When the check was last OK, as far as its kept history goes (the Prometheus exports' batch-job metric)."""
        found = self.db.execute("SELECT max(at) FROM results WHERE check_name = ? AND status = ?",
                                (name, int(Status.OK))).fetchone()
        return None if found is None or found[0] is None else float(found[0])

    def usual_interval(self, name: str, runs: int = 20) -> float | None:
        """The median time between the check's latest runs: how often it is run, learned, not configured."""
        times = [at for (at,) in self.db.execute(
            "SELECT at FROM results WHERE check_name = ? ORDER BY at DESC, id DESC LIMIT ?", (name, runs + 1))]
        gaps = sorted(later - earlier for later, earlier in itertools.pairwise(times) if later > earlier)
        return gaps[len(gaps) // 2] if gaps else None

    def last_in_downtime(self, name: str) -> bool | None:
        """Whether the check's latest result was recorded inside a downtime (None: it has no result yet)."""
        found = self.db.execute("SELECT in_downtime FROM results WHERE check_name = ? ORDER BY at DESC, id DESC "
                                "LIMIT 1", (name,)).fetchone()
        return None if found is None else bool(found[0])

    def previous_run(self, name: str) -> float | None:
        found = self.db.execute("SELECT last_run FROM checks WHERE name = ?", (name,)).fetchone()
        return None if found is None else float(found[0])

    def open_problem(self, name: str) -> Status | None:
        """The check's state when it is a hard problem (announced or held), else None: what holds its dependents."""
        found = self.db.execute("SELECT status, announced, held FROM checks WHERE name = ?", (name,)).fetchone()
        if found is None or found[0] == int(Status.OK) or (found[1] is None and found[2] is None):
            return None
        return Status(found[0])

    def check_rows(self, name: str | None = None) -> list[CheckRow]:
        query = ("SELECT name, status, since, announced, problem_since, last_run, last_summary, held, flapping "
                 "FROM checks" + (" WHERE name = ?" if name is not None else "") + " ORDER BY name")
        return [CheckRow(r[0], Status(r[1]), r[2], None if r[3] is None else Status(r[3]), r[4], r[5], r[6], r[7],
                         bool(r[8])) for r in self.db.execute(query, () if name is None else (name,))]

    def forget(self, name: str) -> bool:
        """Remove a check's state, history, acknowledgement and told channels; False if there was none."""
        with self.transaction():
            found = self.db.execute("SELECT 1 FROM checks WHERE name = ? UNION ALL "
                                    "SELECT 1 FROM results WHERE check_name = ? LIMIT 1", (name, name)).fetchone()
            self.db.execute("DELETE FROM checks WHERE name = ?", (name,))
            for table in ("results", "remediations", "skipped", "acknowledgements", "told"):
                self.db.execute(f"DELETE FROM {table} WHERE check_name = ?", (name,))
        return found is not None

    # --- downtimes and acknowledgements ---------------------------------------------
    # A downtime's patterns are stored one per line in `pattern` (a check's name holds no newline).

    def add_downtime(self, patterns: Sequence[str], start: float, end: float, comment: str, now: float) -> int:
        with self.transaction():
            cursor = self.db.execute("INSERT INTO downtimes (pattern, start, end, comment, created) "
                                     "VALUES (?, ?, ?, ?, ?)", ("\n".join(patterns), start, end, comment, now))
        return int(cursor.lastrowid or 0)

    def downtimes(self, now: float | None = None) -> list[Downtime]:
        """Every downtime not yet over at `now` (all of them without `now`), soonest first."""
        query = "SELECT id, pattern, start, end, comment, created FROM downtimes"
        rows = self.db.execute(query + (" WHERE end > ?" if now is not None else "") + " ORDER BY start, id",
                               () if now is None else (now,)).fetchall()
        return [Downtime(r[0], tuple(r[1].split("\n")), r[2], r[3], r[4], r[5]) for r in rows]

    def remove_downtime(self, downtime_id: int) -> bool:
        with self.transaction():
            return self.db.execute("DELETE FROM downtimes WHERE id = ?", (downtime_id,)).rowcount > 0

    def downtime_for(self, name: str, now: float) -> Downtime | None:
        """The downtime naming this check that is open at `now`, if any (ended ones are cleared here)."""
        from fnmatch import fnmatchcase

        self.db.execute("DELETE FROM downtimes WHERE end <= ?", (now - 7 * 86400,))  # a week's record, then gone
        for downtime in self.downtimes(now):
            if downtime.start <= now and any(fnmatchcase(name, p) for p in downtime.patterns):
                return downtime
        return None

    def acknowledge(self, ack: Acknowledgement) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO acknowledgements (check_name, status, comment, sticky, expires, "
                            "created) VALUES (?, ?, ?, ?, ?, ?)",
                            (ack.check_name, int(ack.status), ack.comment, int(ack.sticky), ack.expires, ack.created))

    def remove_acknowledgement(self, name: str) -> bool:
        with self.transaction():
            return self.db.execute("DELETE FROM acknowledgements WHERE check_name = ?", (name,)).rowcount > 0

    def acknowledgement(self, name: str, now: float) -> Acknowledgement | None:
        """The check's acknowledgement in force at `now` (an expired one is none)."""
        row = self.db.execute("SELECT check_name, status, comment, sticky, expires, created FROM acknowledgements "
                              "WHERE check_name = ?", (name,)).fetchone()
        if row is None or (row[4] is not None and row[4] <= now):
            return None
        return Acknowledgement(row[0], Status(row[1]), row[2], bool(row[3]), row[4], row[5])

    # --- outbox -------------------------------------------------------------------

    def enqueue(self, channel: str, event: dict[str, Any], now: float | None = None) -> None:
        self.db.execute("INSERT INTO outbox (created, channel, event) VALUES (?, ?, ?)",
                        (time.time() if now is None else now, channel, json.dumps(event)))

    def claim(self, channels: Sequence[str], now: float, lease: float, limit: int = 100) -> list[OutboxEntry]:
        """Take the due entries of these channels, oldest first, for `lease` seconds.

        Per channel the order is absolute: entries are taken from the oldest on and no
        further than the first one that is not due (a Retry-After) or is held by a live
        run, so nothing newer goes out while an older message waits. A claim keeps two
        concurrent runs from sending the same message; a claim whose run has died is taken
        over at once, and the lease is the fallback where the process table cannot tell.
        """
        taken: list[tuple] = []
        with self.transaction():
            for channel in dict.fromkeys(channels):
                rows = self.db.execute(
                    "SELECT id, created, channel, event, attempts, next_attempt, claimed_until, "
                    "pid_alive(claimed_by) FROM outbox WHERE channel = ? ORDER BY id LIMIT ?",
                    (channel, limit)).fetchall()
                for row in rows:
                    held = row[6] > now and row[7]
                    if row[5] > now or held:
                        break
                    taken.append(row)
            self.db.executemany("UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE id = ?",
                                [(now + lease, os.getpid(), row[0]) for row in taken])
        return [OutboxEntry(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in taken]

    def delivered(self, entry_id: int) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))

    def failed(self, entry_id: int, error: str, next_attempt: float, now: float | None = None) -> None:
        """An attempt that did not go through: counted, with this run's time of it."""
        at = time.time() if now is None else now
        with self.transaction():
            self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ?, "
                            "claimed_until = 0, first_attempt = coalesce(first_attempt, ?), last_attempt = ? "
                            "WHERE id = ?", (error, next_attempt, at, at, entry_id))

    def released(self, entry_id: int) -> None:
        """Not tried this time (waiting behind an older message): back in the queue, no attempt counted."""
        with self.transaction():
            self.db.execute("UPDATE outbox SET claimed_until = 0 WHERE id = ?", (entry_id,))

    def expire(self, expiry: float, now: float) -> list[OutboxEntry]:
        """Drop the entries that have had their chance; returns them so the caller can say so.

        A message goes only once runs have tried it MIN_ATTEMPTS_TO_EXPIRE times over at
        least `expiry` seconds between its first and its last attempt, never on one run's
        comparison with a time another run's clock wrote (a queue written by a machine
        whose clock was days behind is still tried). One no run was configured to send
        goes after UNATTEMPTED_EXPIRY_FACTOR expiries, so that the outbox cannot grow forever.
        """
        with self.transaction():
            condition = ("(attempts >= ? AND last_attempt - first_attempt >= ?) "
                         "OR (attempts = 0 AND created < ?)")
            arguments = (MIN_ATTEMPTS_TO_EXPIRE, expiry, now - expiry * UNATTEMPTED_EXPIRY_FACTOR)
            rows = self.db.execute(f"SELECT id, created, channel, event, attempts FROM outbox WHERE {condition} "
                                   "ORDER BY id", arguments).fetchall()
            self.db.execute(f"DELETE FROM outbox WHERE {condition}", arguments)
        return [OutboxEntry(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def outbox(self) -> list[OutboxEntry]:
        rows = self.db.execute("SELECT id, created, channel, event, attempts FROM outbox ORDER BY id").fetchall()
        return [OutboxEntry(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    # --- remediation log -------------------------------------------------------------

    def remediations_since(self, name: str, since: float) -> int:
        return self.db.execute("SELECT count(*) FROM remediations WHERE check_name = ? AND at >= ?",
                               (name, since)).fetchone()[0]

    def log_remediation(self, name: str, at: float, command: str, exit_code: int | None, output: str) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO remediations (check_name, at, command, exit_code, output) VALUES (?, ?, ?, ?, ?)",
                (name, at, command, exit_code, output))
        return int(cursor.lastrowid or 0)

    def remediation_outcome(self, entry_id: int, helped: bool) -> None:
        with self.transaction():
            self.db.execute("UPDATE remediations SET helped = ? WHERE id = ?", (int(helped), entry_id))

    def remediations(self, name: str) -> list[tuple]:
        return self.db.execute("SELECT at, command, exit_code, output, helped FROM remediations "
                               "WHERE check_name = ? ORDER BY at, id", (name,)).fetchall()


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":
        import psutil

        return psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT: takes the write lock up front, so read-then-write is safe."""

    def __init__(self, db: sqlite3.Connection, guard: threading.RLock) -> None:
        self.db = db
        self.guard = guard
        self.depth = 0

    def __enter__(self) -> sqlite3.Connection:
        self.guard.acquire()
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.depth = 1
        return self.db

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if self.depth:
                self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.guard.release()

