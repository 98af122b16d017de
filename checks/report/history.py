"""A report's view of the wrapper's SQLite store: read-only queries over checks and results."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from cronchecks.alerting.store import ResultRow
from cronchecks.core.errors import CheckError
from cronchecks.core.result import Status
from cronchecks.report.figures import Streak

STORE_FILE = "cronchecks.sqlite3"  # the name checks.alerting.store.Store gives its file
_STATUSES = tuple(Status)  # Status(code) costs a microsecond; a week of results is a million of them


class StoreUnreadable(CheckError):
    """No store where we looked, or not one we can read: the report cannot say anything."""


class History:
    """The store opened read-only: a report never creates, migrates or locks it for writing."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STORE_FILE
        try:
            if folder.exists() and not folder.is_dir():
                raise StoreUnreadable(f"cannot use the state folder {folder} (--state-dir or CRONCHECKS_STATE_DIR): "
                                      "it is not a folder")
            found = self.path.is_file()
        except OSError as error:  # a name too long for the file system, a folder we may not look into
            raise StoreUnreadable(f"cannot use the state folder {folder} (--state-dir or CRONCHECKS_STATE_DIR): "
                                  f"{error.strerror or error}") from None
        if not found:
            raise StoreUnreadable(f"no store at {self.path} (cronchecks run records there; "
                                  f"give --state-dir or CRONCHECKS_STATE_DIR)")
        try:
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("SELECT name, status, since, problem_since FROM checks LIMIT 1").fetchall()
            self.db.execute("SELECT check_name, at, status, duration, summary, perfdata FROM results LIMIT 1")
        except sqlite3.Error as error:
            raise StoreUnreadable(f"cannot read the store {self.path}: {error}") from None
        # A store from before downtimes (schema 3) has no in_downtime: never in one (read-only: no migration).
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(results)")}
        self._in_downtime = "in_downtime" if "in_downtime" in columns else "0"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as error:
            raise StoreUnreadable(f"cannot read the store {self.path}: {error}") from None

    def names(self) -> list[str]:
        """Every check the store knows, by name."""
        return [name for (name,) in self._query("SELECT name FROM checks ORDER BY name")]

    def rows(self, name: str, start: float, end: float, perf_label: str | None = None) -> list[ResultRow]:
        """The check's results in [start, end], after the last one before `start` (the state in force then).

        Each row's perfdata holds only the `perf_label` value (none without a label), taken
        out by SQLite's JSON functions: parsing every row's JSON in Python was most of the
        time of a week's report over a few hundred checks.
        """
        held = self._in_downtime
        before = self._query(f"SELECT check_name, at, status, exit_code, duration, summary, {held} FROM results "
                             "WHERE check_name = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1", (name, start))
        rows = [ResultRow(r[0], r[1], _STATUSES[r[2]], r[3], r[4], r[5], (), bool(r[6])) for r in before]
        if perf_label is None:
            inside = self._query(f"SELECT check_name, at, status, exit_code, duration, summary, NULL, NULL, {held} "
                                 "FROM results WHERE check_name = ? AND at >= ? AND at <= ? ORDER BY at, id",
                                 (name, start, end))
        else:
            inside = self._perf_rows(name, start, end, perf_label)
        for r in inside:
            perfdata = ({"label": perf_label, "value": r[6], "uom": r[7] or ""},) if r[6] is not None else ()
            rows.append(ResultRow(r[0], r[1], _STATUSES[r[2]], r[3], r[4], r[5], perfdata, bool(r[8])))
        return rows

    def _perf_rows(self, name: str, start: float, end: float, label: str) -> list[tuple]:
        picked = ("(SELECT json_extract(value, '$.{field}') FROM json_each(CASE WHEN json_valid(perfdata) "
                  "THEN perfdata ELSE '[]' END) WHERE json_extract(value, '$.label') = :label LIMIT 1)")
        try:
            return self.db.execute(
                f"SELECT check_name, at, status, exit_code, duration, summary, {picked.format(field='value')}, "
                f"{picked.format(field='uom')}, {self._in_downtime} FROM results "
                "WHERE check_name = :name AND at >= :start AND at <= :end ORDER BY at, id",
                {"name": name, "start": start, "end": end, "label": label}).fetchall()
        except sqlite3.OperationalError as error:
            if "json" not in str(error):
                raise StoreUnreadable(f"cannot read the store {self.path}: {error}") from None
        # An SQLite built without its JSON functions: the same in Python, slower.
        found = []
        for r in self._query(f"SELECT check_name, at, status, exit_code, duration, summary, perfdata, "
                             f"{self._in_downtime} FROM results WHERE check_name = ? AND at >= ? AND at <= ? "
                             "ORDER BY at, id", (name, start, end)):
            datum = _perf_datum(r[6], label)
            found.append((*r[:6], datum.get("value"), datum.get("uom"), r[7]))
        return found

    def streak(self, name: str, end: float) -> Streak:
        """The check's status at `end`, since when, what it was before, and when its current problem began."""
        last = self._query("SELECT id, at, status, summary FROM results WHERE check_name = ? AND at <= ? "
                           "ORDER BY at DESC, id DESC LIMIT 1", (name, end))
        if not last:
            return Streak(None, None, None, None)
        _, last_at, code, summary = last[0]
        status = Status(code)
        kept = self._query("SELECT status, since, problem_since FROM checks WHERE name = ?", (name,))
        state = kept[0] if kept else None
        different = self._query("SELECT id, at, status FROM results WHERE check_name = ? AND at <= ? AND status != ? "
                                "ORDER BY at DESC, id DESC LIMIT 1", (name, end, int(status)))
        since = self._first_after(name, end, different[0][:2] if different else None)
        previous = Status(different[0][2]) if different else None
        if not different and state and state[0] == int(status):
            since = min(since, state[1])  # the run began before the oldest result kept (--keep)
        problem_since = None
        if status is not Status.OK:
            last_ok = self._query("SELECT id, at FROM results WHERE check_name = ? AND at <= ? AND status = ? "
                                  "ORDER BY at DESC, id DESC LIMIT 1", (name, end, int(Status.OK)))
            problem_since = self._first_after(name, end, last_ok[0] if last_ok else None)
            if not last_ok and state and state[2] is not None:
                problem_since = min(problem_since, state[2])
        return Streak(status, since, previous, problem_since, last_at, summary)

    def _first_after(self, name: str, end: float, mark: tuple[int, float] | None) -> float:
        """The time of the first result after `mark` (an id and time), or of the first result at all."""
        if mark is None:
            found = self._query("SELECT min(at) FROM results WHERE check_name = ? AND at <= ?", (name, end))
        else:
            mark_id, mark_at = mark
            found = self._query("SELECT at FROM results WHERE check_name = ? AND at <= ? "
                                "AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id LIMIT 1",
                                (name, end, mark_at, mark_at, mark_id))
        return found[0][0]


def _perf_datum(text: str, label: str) -> dict[str, Any]:
    if json.dumps(label) not in text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return next((d for d in data if isinstance(d, dict) and d.get("label") == label), {}) if isinstance(data, list) \
        else {}
