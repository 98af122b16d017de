"""check-heartbeat against real files, a real loopback HTTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_range
from cronchecks.heartbeat.check import HeartbeatOptions, check_heartbeat
from tests.conftest import Reply, run_console_script

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
FIVE_MIN, FIFTEEN_MIN = parse_range("5m", "duration"), parse_range("15m", "duration")


def runtime(now: datetime = NOW, env: dict | None = None) -> Runtime:
    return Runtime(now=lambda: now, env=env or {}, deadline=time.monotonic() + 10)


def judged(**kwargs) -> HeartbeatOptions:
    kwargs.setdefault("warning", FIVE_MIN)
    kwargs.setdefault("critical", FIFTEEN_MIN)
    return HeartbeatOptions(**kwargs)


def touch(path: Path, age_seconds: float, now: datetime = NOW, content: bytes | None = None) -> Path:
    if content is not None:
        path.write_bytes(content)
    elif not path.exists():
        path.write_bytes(b"")
    stamp = now.timestamp() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


# --- file mtime -------------------------------------------------------------------------


@pytest.mark.parametrize("age, status", [(10, Status.OK), (299, Status.OK), (301, Status.WARNING),
                                         (899, Status.WARNING), (901, Status.CRITICAL), (86400, Status.CRITICAL)])
def test_file_age_against_thresholds(tmp_path, age, status):
    beat = touch(tmp_path / "job.beat", age)
    result = check_heartbeat(judged(file=str(beat)), runtime())
    assert result.status is status
    assert result.perfdata[0].label == "age"
    assert result.perfdata[0].value == pytest.approx(age, abs=0.01)
    assert result.perfdata[0].uom == "s"


def test_summary_says_which_file_how_old_and_which_limit(tmp_path):
    beat = touch(tmp_path / "job.beat", 1200)
    result = check_heartbeat(judged(file=str(beat)), runtime())
    assert result.status is Status.CRITICAL
    assert str(beat) in result.summary
    assert "20m 00s ago" in result.summary
    assert "critical > 15m 00s" in result.summary


def test_missing_file_is_critical(tmp_path):
    result = check_heartbeat(judged(file=str(tmp_path / "nope.beat")), runtime())
    assert result.status is Status.CRITICAL
    assert "does not exist" in result.summary


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_folder_is_unknown(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    touch(folder / "job.beat", 1)
    folder.chmod(0)
    try:
        result = check_heartbeat(judged(file=str(folder / "job.beat")), runtime())
    finally:
        folder.chmod(0o755)
    assert result.status is Status.UNKNOWN


def test_glob_takes_the_newest_match(tmp_path):
    touch(tmp_path / "db-1.tar.gz", 7200, content=b"x" * 100)
    touch(tmp_path / "db-2.tar.gz", 60, content=b"x" * 100)
    touch(tmp_path / "db-3.tar.gz", 3600, content=b"x" * 100)
    touch(tmp_path / "notes.txt", 1)
    result = check_heartbeat(judged(file=str(tmp_path / "*.tar.gz")), runtime())
    assert result.status is Status.OK
    assert "db-2.tar.gz" in result.summary and "newest of 3" in result.summary
    assert result.perfdata[0].value == pytest.approx(60, abs=0.01)


def test_glob_without_match_is_critical(tmp_path):
    result = check_heartbeat(judged(file=str(tmp_path / "*.tar.gz")), runtime())
    assert result.status is Status.CRITICAL
    assert "no file matches" in result.summary


def test_min_size_catches_a_truncated_newest_backup(tmp_path):
    touch(tmp_path / "db-1.tar.gz", 7200, content=b"x" * 5000)
    touch(tmp_path / "db-2.tar.gz", 60, content=b"")
    options = judged(file=str(tmp_path / "db-*.tar.gz"), min_size=1000)
    result = check_heartbeat(options, runtime())
    assert result.status is Status.CRITICAL
    assert "db-2.tar.gz" in result.summary and "0 B" in result.summary
    touch(tmp_path / "db-2.tar.gz", 60, content=b"x" * 1000)
    assert check_heartbeat(options, runtime()).status is Status.OK


# --- timestamp inside a file ------------------------------------------------------------


@pytest.mark.parametrize("content, age", [
    ("2026-11-24T11:58:00Z", 120),
    ("2026-11-24T12:58:00+01:00", 120),
    ("2026-11-24 11:50:00", 600),  # naive: read in --tz (UTC here)
    (str(int(NOW.timestamp()) - 30), 30),
    (str(int(NOW.timestamp() * 1000) - 30000), 30),  # JavaScript's Date.now()
    ("started\n2026-11-24T11:00:00Z\n2026-11-24T11:59:00Z\n\n", 60),  # the last line counts
])
def test_content_timestamps(tmp_path, content, age):
    beat = touch(tmp_path / "beat", 0, content=content.encode())
    result = check_heartbeat(judged(file=str(beat), content=True, tz="UTC"), runtime())
    assert result.perfdata[0].value == pytest.approx(age, abs=0.01)


def test_naive_content_is_read_in_the_given_zone(tmp_path):
    beat = touch(tmp_path / "beat", 0, content=b"2026-11-24 12:58:00")
    result = check_heartbeat(judged(file=str(beat), content=True, tz="Europe/Berlin"), runtime())
    assert result.perfdata[0].value == pytest.approx(120, abs=0.01)


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"\n\n", "empty"), (b"yesterday-ish", "not a timestamp")])
def test_content_without_a_timestamp_is_critical(tmp_path, content, words):
    beat = touch(tmp_path / "beat", 0, content=content)
    result = check_heartbeat(judged(file=str(beat), content=True), runtime())
    assert result.status is Status.CRITICAL
    assert words in result.summary


def test_future_heartbeat_beyond_skew_is_warning(tmp_path):
    beat = touch(tmp_path / "beat", 0, content=b"2026-11-24T12:10:00Z")
    result = check_heartbeat(judged(file=str(beat), content=True), runtime())
    assert result.status is Status.WARNING
    assert "in the future" in result.summary and "clock skew" in result.summary


def test_future_heartbeat_within_skew_counts_as_fresh(tmp_path):
    beat = touch(tmp_path / "beat", 0, content=b"2026-11-24T12:00:30Z")
    result = check_heartbeat(judged(file=str(beat), content=True), runtime())
    assert result.status is Status.OK
    assert result.perfdata[0].value == 0


# --- cron schedule ----------------------------------------------------------------------


@pytest.mark.parametrize("now, beat_at, status", [
    # daily at 06:00 with 15m grace: before 06:15 yesterday's run is the one that counts
    (datetime(2026, 11, 24, 6, 10, tzinfo=UTC), datetime(2026, 11, 23, 6, 5, tzinfo=UTC), Status.OK),
    # 06:20: today's run was due by 06:15 and no heartbeat came after 06:00
    (datetime(2026, 11, 24, 6, 20, tzinfo=UTC), datetime(2026, 11, 23, 6, 5, tzinfo=UTC),
     Status.CRITICAL),
    (datetime(2026, 11, 24, 6, 20, tzinfo=UTC), datetime(2026, 11, 24, 6, 3, tzinfo=UTC), Status.OK),
    # exactly at the end of the grace the run is due
    (datetime(2026, 11, 24, 6, 15, tzinfo=UTC), datetime(2026, 11, 23, 6, 5, tzinfo=UTC),
     Status.CRITICAL),
    (datetime(2026, 11, 24, 23, 0, tzinfo=UTC), datetime(2026, 11, 24, 6, 1, tzinfo=UTC), Status.OK),
])
def test_schedule_with_grace(tmp_path, now, beat_at, status):
    beat = touch(tmp_path / "beat", (now - beat_at).total_seconds(), now=now)
    options = HeartbeatOptions(file=str(beat), schedule="0 6 * * *", grace=900, tz="UTC")
    result = check_heartbeat(options, runtime(now))
    assert result.status is status, result.summary
    if status is Status.CRITICAL:
        assert "no heartbeat since the run scheduled at" in result.summary


def test_schedule_in_a_time_zone(tmp_path):
    # 06:00 in Berlin is 05:00 UTC in winter.
    now = datetime(2026, 11, 24, 5, 20, tzinfo=UTC)
    beat = touch(tmp_path / "beat", 3600 * 20, now=now)
    berlin = HeartbeatOptions(file=str(beat), schedule="0 6 * * *", grace=900, tz="Europe/Berlin")
    assert check_heartbeat(berlin, runtime(now)).status is Status.CRITICAL
    assert check_heartbeat(replace(berlin, tz="UTC"), runtime(now)).status is Status.OK


def test_schedule_and_thresholds_combine_by_the_worst(tmp_path):
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    beat = touch(tmp_path / "beat", 600, now=now)
    options = HeartbeatOptions(file=str(beat), schedule="*/5 * * * *", grace=60, tz="UTC", warning=FIVE_MIN)
    result = check_heartbeat(options, runtime(now))
    assert result.status is Status.CRITICAL  # due at 11:55, last beat 11:50


# --- usage mistakes are UNKNOWN before any I/O -------------------------------------------


@pytest.mark.parametrize("options, words", [
    (HeartbeatOptions(warning=FIVE_MIN), "exactly one heartbeat source"),
    (HeartbeatOptions(file="/x", url="http://x", json_path="$.a", warning=FIVE_MIN), "not --file and --url"),
    (HeartbeatOptions(file="/x"), "nothing to judge the age by"),
    (HeartbeatOptions(url="http://x", warning=FIVE_MIN), "--json-path"),
    (HeartbeatOptions(db="sqlite://", warning=FIVE_MIN), "--query"),
    (HeartbeatOptions(file="/x", grace=60, warning=FIVE_MIN), "--grace goes with --schedule"),
    (HeartbeatOptions(file="/x", schedule="61 * * * *"), "invalid --schedule"),
    (HeartbeatOptions(file="/x", warning=FIVE_MIN, tz="Mars/Olympus"), "unknown time zone"),
])
def test_usage_mistakes(options, words):
    with pytest.raises(UsageError) as caught:
        check_heartbeat(options, runtime())
    assert words in str(caught.value)


# --- JSON over HTTP ---------------------------------------------------------------------


def test_url_json_field(http_server):
    http_server.routes["/health"] = Reply(200, {"status": "ok", "lastHeartbeatAt": "2026-11-24T11:57:00Z"})
    options = judged(url=http_server.url + "/health", json_path="$.lastHeartbeatAt")
    result = check_heartbeat(options, runtime())
    assert result.status is Status.OK
    assert result.perfdata[0].value == pytest.approx(180)
    assert "/health $.lastHeartbeatAt" in result.summary


def test_url_epoch_number_and_filter_expression(http_server):
    http_server.routes["/workers"] = Reply(200, {"workers": [
        {"type": "mailer", "beat": NOW.timestamp() - 2000},
        {"type": "schedule_daemon", "beat": NOW.timestamp() - 400},
    ]})
    options = judged(url=http_server.url + "/workers", json_path='$.workers[?@.type == "schedule_daemon"].beat')
    result = check_heartbeat(options, runtime())
    assert result.status is Status.WARNING
    assert result.perfdata[0].value == pytest.approx(400)


@pytest.mark.parametrize("reply, words", [
    (Reply(500, "boom"), "answered 500"),
    (Reply(200, "<html>not json</html>"), "did not answer JSON"),
    (Reply(200, {"other": 1}), "nothing at $.lastHeartbeatAt"),
    (Reply(200, {"lastHeartbeatAt": None}), "is empty"),
    (Reply(200, {"lastHeartbeatAt": "soon"}), "not a timestamp"),
])
def test_url_failures_are_critical(http_server, reply, words):
    http_server.routes["/health"] = reply
    result = check_heartbeat(judged(url=http_server.url + "/health", json_path="$.lastHeartbeatAt"), runtime())
    assert result.status is Status.CRITICAL
    assert words in result.summary


def test_refused_connection_is_critical(closed_port):
    options = judged(url=f"http://127.0.0.1:{closed_port}/h", json_path="$.t")
    result = check_heartbeat(options, runtime())
    assert result.status is Status.CRITICAL
    assert "connection refused" in result.summary


def test_invalid_json_path_is_unknown(http_server):
    with pytest.raises(UsageError) as caught:
        check_heartbeat(judged(url=http_server.url + "/h", json_path="$.["), runtime())
    assert "invalid --json-path" in str(caught.value)


def test_url_credentials_never_show(http_server):
    http_server.routes["/h"] = Reply(500, "")
    url = http_server.url.replace("http://", "http://admin:s3cr3tpass@") + "/h?token=abcdef123"
    result = check_heartbeat(judged(url=url, json_path="$.t"), runtime())
    assert "s3cr3tpass" not in result.summary and "abcdef123" not in result.summary


# --- SQL ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_workers(tmp_path) -> str:
    import sqlite3

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("create table workers (type text, status text, last_heartbeat_at text)")
        db.executemany("insert into workers values (?, ?, ?)", [
            ("schedule_daemon", "RUNNING", "2026-11-24 11:58:00"),
            ("schedule_daemon", "STOPPED", "2026-11-24 11:59:59"),
            ("mailer", "RUNNING", "2026-11-24 10:00:00"),
        ])
    return f"sqlite:///{path}"


NEWEST_RUNNING = ("select max(last_heartbeat_at) from workers "
                  "where type = 'schedule_daemon' and status = 'RUNNING'")


def test_sqlite_heartbeat(sqlite_workers):
    result = check_heartbeat(judged(db=sqlite_workers, query=NEWEST_RUNNING, tz="UTC"), runtime())
    assert result.status is Status.OK
    assert result.perfdata[0].value == pytest.approx(120)


def test_sqlite_url_from_environment_and_file(sqlite_workers, tmp_path):
    env_result = check_heartbeat(judged(db_env="APP_DB", query=NEWEST_RUNNING, tz="UTC"),
                                 runtime(env={"APP_DB": sqlite_workers}))
    assert env_result.status is Status.OK
    secret_file = tmp_path / "db.url"
    secret_file.write_text(sqlite_workers + "\n")
    file_result = check_heartbeat(judged(db_file=str(secret_file), query=NEWEST_RUNNING, tz="UTC"), runtime())
    assert file_result.perfdata[0].value == env_result.perfdata[0].value
    with pytest.raises(UsageError):
        check_heartbeat(judged(db_env="NOT_SET", query=NEWEST_RUNNING), runtime())


@pytest.mark.parametrize("query, words", [
    ("select last_heartbeat_at from workers where type = 'nobody'", "no row"),
    ("select max(last_heartbeat_at) from workers where type = 'nobody'", "NULL"),
])
def test_sqlite_no_heartbeat_is_critical(sqlite_workers, query, words):
    result = check_heartbeat(judged(db=sqlite_workers, query=query), runtime())
    assert result.status is Status.CRITICAL
    assert words in result.summary


def test_sqlite_bad_query_is_unknown(sqlite_workers):
    from cronchecks.core.errors import CheckError

    with pytest.raises(CheckError) as caught:
        check_heartbeat(judged(db=sqlite_workers, query="select nope from nowhere"), runtime())
    assert "query failed" in str(caught.value)


@pytest.mark.postgres
def test_postgresql_heartbeat_with_timestamptz(postgresql_url):
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgresql_url)
    with engine.begin() as db:
        db.execute(sqlalchemy.text(
            "create table worker_instance (worker_type text, status text, last_heartbeat_at timestamptz)"))
        db.execute(sqlalchemy.text(
            "insert into worker_instance values ('schedule_daemon', 'RUNNING', :t), "
            "('schedule_daemon', 'RUNNING', :old)"),
            {"t": NOW - timedelta(minutes=7), "old": NOW - timedelta(hours=3)})
    engine.dispose()
    query = ("select last_heartbeat_at from worker_instance where worker_type = 'schedule_daemon' "
             "and status = 'RUNNING' order by last_heartbeat_at desc limit 1")
    result = check_heartbeat(judged(db=postgresql_url, query=query), runtime())
    assert result.status is Status.WARNING
    assert result.perfdata[0].value == pytest.approx(420)


@pytest.mark.postgres
def test_postgresql_down_is_critical_and_hides_the_password(postgresql_server, closed_port):
    url = f"postgresql+psycopg://app:hunter2secret@127.0.0.1:{closed_port}/app"
    result = check_heartbeat(judged(db=url, query="select now()"), runtime())
    assert result.status is Status.CRITICAL
    assert "cannot reach the database" in result.summary
    assert "hunter2secret" not in result.summary


# --- the real command -------------------------------------------------------------------


def test_console_script_end_to_end(tmp_path):
    beat = tmp_path / "job.beat"
    beat.write_text("")
    ok = run_console_script("check-heartbeat", "--file", str(beat), "-w", "5m", "-c", "15m")
    assert ok.code == 0, ok
    assert ok.first_line.startswith("HEARTBEAT OK - ") and "| age=" in ok.first_line and ";300;900;0" in ok.first_line
    stale = time.time() - 1000
    os.utime(beat, (stale, stale))
    crit = run_console_script("check-heartbeat", "--file", str(beat), "-w", "5m", "-c", "15m", "--format", "json")
    assert crit.code == 2
    data = json.loads(crit.stdout)
    assert data["status"] == "CRITICAL" and data["perfdata"][0]["label"] == "age"


def test_a_fifo_that_never_answers_hits_the_timeout(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "beat"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = run_console_script("check-heartbeat", "--file", str(fifo), "--content", "-c", "5m", "-t", "1s")
    assert time.monotonic() - started < 8
    assert done.code == 2
    assert done.first_line == "HEARTBEAT CRITICAL - timed out after 1.0 s"
    unknown = run_console_script("check-heartbeat", "--file", str(fifo), "--content", "-c", "5m", "-t", "500ms",
                                 "--timeout-result", "unknown")
    assert unknown.code == 3 and "timed out" in unknown.first_line


def test_a_bad_header_is_named_without_its_value(http_server):
    options = judged(url=http_server.url + "/h", json_path="$.t", headers=("Bad Header: Bearer s3cr3t-token",))
    with pytest.raises(UsageError) as caught:
        check_heartbeat(options, runtime())
    assert "invalid --header" in str(caught.value) and "s3cr3t-token" not in str(caught.value)
