"""check-integrity against manifests made by the real coreutils, SQLite, PostgreSQL and real audit commands."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import CheckError, DeadlinePassed, UsageError
from cronchecks.core.execute import execute
from cronchecks.core.result import Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_range
from cronchecks.integrity.check import check_integrity
from cronchecks.integrity.manifest import (
    Entry,
    ManifestError,
    algorithm_hint,
    escape_name,
    format_line,
    parse_line,
    parse_manifest,
    unescape_name,
)
from cronchecks.integrity.options import IntegrityOptions
from tests.conftest import run_console_script

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TOOLS = {"sha256": "sha256sum", "sha512": "sha512sum", "blake2b": "b2sum"}
# Names that need care: spaces, a newline, a carriage return, backslashes, a leading '*'.
AWKWARD = ["plain.txt", "with space.txt", "new\nline.txt", "back\\slash.txt", "cr\rname", "*star", "trailing "]


def runtime(env: dict | None = None, seconds: float = 10) -> Runtime:
    return Runtime(env=env or {}, deadline=time.monotonic() + seconds)


def need(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.skip(f"{tool} is not installed (GNU coreutils)")
    return found


@pytest.fixture
def tree(tmp_path) -> Path:
    """A folder of files with awkward names and a subfolder, as the cwd-relative manifests see it."""
    root = tmp_path / "tree"
    (root / "sub dir").mkdir(parents=True)
    for index, name in enumerate(AWKWARD):
        (root / name).write_bytes(f"content {index}\n".encode() * (index + 1))
    (root / "sub dir" / "deep.bin").write_bytes(os.urandom(3 * 2**20 + 17))  # several 1 MiB chunks
    return root


def tool_manifest(tool: str, folder: Path, manifest: Path, *flags: str) -> Path:
    """A manifest written by the real coreutils tool, with names relative to `folder`."""
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    done = subprocess.run([need(tool), *flags, "--", *names], cwd=folder, capture_output=True, check=True)
    manifest.write_bytes(done.stdout)
    return manifest


def verify(manifest: Path, folder: Path, **kwargs) -> Result:
    return check_integrity(IntegrityOptions(manifest=str(manifest), root=str(folder), **kwargs), runtime())


# --- manifests made by coreutils, checked here ---------------------------------------------


@pytest.mark.parametrize("algorithm, flags, suffix", [
    ("sha256", (), "sha256"), ("sha256", ("--binary",), "txt"), ("sha512", (), "sha512"), ("blake2b", (), "b2"),
    ("blake2b", ("-l", "256"), "b2"), ("sha256", ("--tag",), "txt"), ("sha512", ("--tag",), "txt"),
    ("blake2b", ("--tag", "-l", "160"), "txt"),
])
def test_coreutils_manifests_verify(tree, tmp_path, algorithm, flags, suffix):
    manifest = tool_manifest(TOOLS[algorithm], tree, tmp_path / f"manifest.{suffix}", *flags)
    assert b"\\" in manifest.read_bytes()  # the escaped names are really there
    result = verify(manifest, tree)
    assert result.status is Status.OK, result.summary
    assert result.summary.startswith(f"{len(AWKWARD) + 1} files match")
    assert algorithm in result.summary
    assert [(p.label, p.value) for p in result.perfdata][:3] == [("files", 8), ("modified", 0), ("missing", 0)]


def test_modified_and_missing_files_are_critical_and_named(tree, tmp_path):
    manifest = tool_manifest("sha256sum", tree, tmp_path / "app.sha256")
    (tree / "new\nline.txt").write_bytes(b"tampered")
    (tree / "with space.txt").unlink()
    with (tree / "sub dir" / "deep.bin").open("r+b") as handle:  # one byte, past the first chunk
        handle.seek(2**20 + 5)
        handle.write(b"X")
    result = verify(manifest, tree)
    assert result.status is Status.CRITICAL
    assert result.summary == (f"2 modified: new\\nline.txt, sub dir/deep.bin; 1 missing: with space.txt "
                              f"(of 8 files in {manifest})")
    assert sorted(result.details) == ["missing: with space.txt", "modified: new\\nline.txt",
                                      "modified: sub dir/deep.bin"]
    perf = {p.label: p.value for p in result.perfdata}
    assert perf["modified"] == 2 and perf["missing"] == 1


def test_long_output_lists_every_changed_file(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(200):
        (folder / f"f{index:03d}").write_bytes(os.urandom(64))
    manifest = tool_manifest("sha256sum", folder, tmp_path / "many.sha256")
    for index in range(0, 200, 20):
        (folder / f"f{index:03d}").write_bytes(b"changed")
    result = check_integrity(IntegrityOptions(manifest=str(manifest), root=str(folder), jobs=4), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary.startswith("10 modified: f000, f020, f040 and 7 more (of 200 files")
    assert result.details == tuple(f"modified: f{index:03d}" for index in range(0, 200, 20))


def test_relative_names_resolve_against_the_current_folder(tree, tmp_path, monkeypatch):
    manifest = tool_manifest("sha256sum", tree, tmp_path / "app.sha256")
    monkeypatch.chdir(tree)
    assert check_integrity(IntegrityOptions(manifest=str(manifest)), runtime()).status is Status.OK
    monkeypatch.chdir(tmp_path)
    moved = check_integrity(IntegrityOptions(manifest=str(manifest)), runtime())
    assert moved.status is Status.CRITICAL and "8 missing" in moved.summary


def test_a_file_replaced_by_a_folder_is_modified(tree, tmp_path):
    manifest = tool_manifest("sha256sum", tree, tmp_path / "app.sha256")
    (tree / "plain.txt").unlink()
    (tree / "plain.txt").mkdir()
    result = verify(manifest, tree)
    assert result.status is Status.CRITICAL and "modified: plain.txt (now a folder)" in result.details


@pytest.mark.skipif(IS_ROOT or os.name == "nt", reason="root reads any file")
def test_unreadable_file_is_unknown(tree, tmp_path):
    manifest = tool_manifest("sha256sum", tree, tmp_path / "app.sha256")
    (tree / "plain.txt").chmod(0)
    result = verify(manifest, tree)
    assert result.status is Status.UNKNOWN and "1 unreadable: plain.txt" in result.summary


# --- which algorithm ----------------------------------------------------------------------------


def test_a_128_digit_hash_needs_the_algorithm_named(tree, tmp_path):
    plain = tool_manifest("sha512sum", tree, tmp_path / "checksums.txt")
    with pytest.raises(UsageError, match="sha512 or blake2b"):
        verify(plain, tree)
    assert verify(plain, tree, algorithm="sha512").status is Status.OK
    wrong = verify(plain, tree, algorithm="blake2b")
    assert wrong.status is Status.CRITICAL and "8 modified" in wrong.summary
    b2sums = tool_manifest("b2sum", tree, tmp_path / "B2SUMS")
    assert verify(b2sums, tree).status is Status.OK


@pytest.mark.parametrize("name, algorithm", [
    ("app.sha512", "sha512"), ("SHA512SUMS", "sha512"), ("app.b2", "blake2b"), ("B2SUMS", "blake2b"),
    ("x.b2sum", "blake2b"), ("app.sha256", "sha256"), ("SHA256SUMS", "sha256"), ("manifest.txt", None),
    ("b2.txt", None),
])
def test_algorithm_hint_from_the_manifests_name(name, algorithm):
    assert algorithm_hint(f"/srv/{name}") == algorithm


def test_a_hash_of_the_wrong_length_for_the_algorithm_is_unknown(tree, tmp_path):
    manifest = tool_manifest("sha256sum", tree, tmp_path / "app.sha512")
    with pytest.raises(ManifestError, match="a sha512 hash has 128 hex digits, not 64"):
        verify(manifest, tree, algorithm="sha512")


@pytest.mark.parametrize("content, words", [
    (b"", "lists no files"),
    (b"# only a comment\n\n", "lists no files"),
    (b"not a manifest line\n", "line 1 is not 'HASH  NAME'"),
    (b"abc  name\n", "line 1: a hash of 3 hex digits"),
    (b"\\" + b"a" * 64 + b"  bad\\qescape\n", "line 1: '\\\\q' in an escaped name"),
    (b"MD5 (x) = " + b"a" * 32 + b"\n", "MD5 is not one of"),
])
def test_bad_manifests_are_unknown(tmp_path, content, words):
    manifest = tmp_path / "bad.sha256"
    manifest.write_bytes(content)
    with pytest.raises(CheckError) as caught:
        check_integrity(IntegrityOptions(manifest=str(manifest)), runtime())
    assert words in str(caught.value)


def test_a_missing_manifest_is_unknown(tmp_path):
    with pytest.raises(CheckError, match="does not exist"):
        check_integrity(IntegrityOptions(manifest=str(tmp_path / "nope.sha256")), runtime())


# --- the manifest format: properties ----------------------------------------------------------

NAMES = st.binary(min_size=1, max_size=40).filter(lambda b: b"\0" not in b and b != b"\r")
HEX = st.sampled_from([64, 128]).flatmap(lambda n: st.text("0123456789abcdef", min_size=n, max_size=n))


@given(HEX, NAMES)
def test_written_lines_read_back(digest, name):
    line = format_line(digest, name)
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one line, whatever the name holds
    entry = parse_line(line[:-1])
    assert entry is not None and (entry.digest, entry.name) == (digest, name)


@given(NAMES)
def test_escaping_round_trips(name):
    assert unescape_name(escape_name(name)) == name
    assert b"\n" not in escape_name(name) and b"\r" not in escape_name(name)


@given(st.lists(st.tuples(HEX, NAMES), min_size=1, max_size=8), st.booleans())
def test_manifests_read_back_with_either_line_ending(items, crlf):
    text = b"".join(format_line(d, n) for d, n in items)
    if crlf:
        text = text.replace(b"\n", b"\r\n")
    assert [(e.digest, e.name) for e in parse_manifest(text)] == items


@given(st.binary(max_size=200))
def test_the_parser_never_fails_other_than_with_a_manifest_error(data):
    try:
        entries = parse_manifest(data)
    except ManifestError:
        return
    # the isinstance holds for the types; it is asserted for what the parser builds at run time
    assert all(isinstance(entry, Entry) for entry in entries) and all(entry.name for entry in entries)


FILE_NAMES = st.binary(min_size=1, max_size=30).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..", b"-"))  # '-' is stdin to sha256sum


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(FILE_NAMES, min_size=1, max_size=5, unique=True))
def test_real_sha256sum_output_for_any_name_is_read(tmp_path, names):
    folder = tmp_path / os.urandom(6).hex()
    folder.mkdir()
    for name in names:
        (Path(os.fsencode(folder).decode("utf-8", "surrogateescape")) / os.fsdecode(name)).write_bytes(name)
    done = subprocess.run([need("sha256sum"), "--", *[os.fsdecode(n) for n in names]], cwd=folder,
                          capture_output=True, check=True)
    import hashlib

    assert [(e.digest, e.name) for e in parse_manifest(done.stdout)] == [
        (hashlib.sha256(name).hexdigest(), name) for name in names]


# --- --create, checked by the real coreutils -------------------------------------------------


@pytest.mark.parametrize("algorithm, tool", [("sha256", "sha256sum"), ("sha512", "sha512sum"), ("blake2b", "b2sum")])
def test_created_manifests_pass_coreutils_check(tree, tmp_path, monkeypatch, algorithm, tool):
    manifest = tmp_path / f"app.{algorithm}"
    monkeypatch.chdir(tree)
    result = check_integrity(IntegrityOptions(manifest=str(manifest), create=True, paths=(".",),
                                              algorithm=algorithm), runtime())
    assert result.status is Status.OK
    assert result.summary.startswith(f"wrote 8 entries to {manifest}")
    done = subprocess.run([need(tool), "-c", "--strict", str(manifest)], cwd=tree, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(b": OK\n") == 8
    assert check_integrity(IntegrityOptions(manifest=str(manifest)), runtime()).status is Status.OK


def test_create_with_root_and_check_from_elsewhere(tree, tmp_path):
    manifest = tmp_path / "app.sha256"
    options = IntegrityOptions(manifest=str(manifest), create=True, paths=("sub dir", "plain.txt"), root=str(tree))
    assert check_integrity(options, runtime()).status is Status.OK
    assert sorted(line.split(b"  ", 1)[1] for line in manifest.read_bytes().splitlines()) == \
        [b"plain.txt", b"sub dir/deep.bin"]
    done = subprocess.run([need("sha256sum"), "-c", str(manifest)], cwd=tree, capture_output=True)
    assert done.returncode == 0
    assert check_integrity(IntegrityOptions(manifest=str(manifest), root=str(tree)), runtime()).status is Status.OK


def test_create_leaves_out_the_manifest_itself_and_replaces_it_whole(tree):
    manifest = tree / "MANIFEST.sha256"
    manifest.write_bytes(b"old content\n")
    options = IntegrityOptions(manifest=str(manifest), create=True, paths=(str(tree),), track_perms=True)
    check_integrity(options, runtime())
    text = manifest.read_bytes()
    assert b"MANIFEST" not in text and b"old content" not in text and text.count(b"\n") == 8
    assert not [p for p in tree.iterdir() if p.name.endswith(".tmp")]
    check_integrity(options, runtime())  # the sidecar, now present, is left out too
    assert b"MANIFEST" not in manifest.read_bytes()


def test_create_on_an_endless_file_takes_the_timeout_state(tmp_path):
    # /dev/zero never ends: hashing stops at the deadline, and the answer is the timeout
    # state whether the watchdog or the hashing thread sees the deadline first.
    manifest = tmp_path / "M"
    for _ in range(3):  # the old race went the wrong way in most runs
        done = run_console_script("check-integrity", "--create", "-m", str(manifest), "-t", "1s", "/dev/zero")
        assert (done.code, done.stdout) == (2, "INTEGRITY CRITICAL - timed out after 1.0 s\n"), done.stdout
    as_unknown = run_console_script("check-integrity", "--create", "-m", str(manifest), "-t", "500ms",
                                    "--timeout-result", "unknown", "/dev/zero")
    assert as_unknown.code == 3 and as_unknown.stdout.count("\n") == 1 and "timed out" in as_unknown.stdout
    assert not manifest.exists()


def test_hashing_past_the_deadline_in_process_is_the_timeout_state(tmp_path):
    options = IntegrityOptions(manifest=str(tmp_path / "M"), create=True, paths=("/dev/zero",))
    with pytest.raises(DeadlinePassed, match="while hashing /dev/zero"):
        check_integrity(options, runtime(seconds=0.2))
    outcome = execute(check_integrity, options, Runtime(), 0.3, Status.WARNING)
    assert outcome.timed_out and outcome.result.status is Status.WARNING


def test_create_of_a_missing_path_writes_nothing(tmp_path):
    manifest = tmp_path / "x.sha256"
    with pytest.raises(CheckError, match="does not exist"):
        check_integrity(IntegrityOptions(manifest=str(manifest), create=True, paths=(str(tmp_path / "nope"),)),
                        runtime())
    assert not manifest.exists()


# --- --watch and --track-perms -------------------------------------------------------------------


def test_new_files_under_watched_folders_are_warning(tree, tmp_path):
    manifest = tree / "app.sha256"
    check_integrity(IntegrityOptions(manifest=str(manifest), create=True, paths=(".",), root=str(tree)), runtime())
    watched = IntegrityOptions(manifest=str(manifest), root=str(tree), watch=(str(tree),))
    quiet = check_integrity(watched, runtime())
    assert quiet.status is Status.OK and "nothing new under" in quiet.summary  # the manifest is not "new"
    (tree / "sub dir" / "dropped.php").write_text("<?php system($_GET['c']);")
    result = check_integrity(watched, runtime())
    assert result.status is Status.WARNING
    assert result.summary.startswith(f"1 new: {tree}/sub dir/dropped.php")
    assert {p.label: p.value for p in result.perfdata}["new"] == 1
    (tree / "plain.txt").write_text("changed")
    assert check_integrity(watched, runtime()).status is Status.CRITICAL


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_permissions_and_owner_are_tracked_in_a_sidecar(tree, tmp_path):
    manifest = tmp_path / "app.sha256"
    check_integrity(IntegrityOptions(manifest=str(manifest), create=True, paths=(".",), root=str(tree),
                                     track_perms=True), runtime())
    sidecar = Path(str(manifest) + ".perms")
    assert sidecar.exists() and b"\\mode=0644 " in sidecar.read_bytes()  # escaped names there too
    tracked = IntegrityOptions(manifest=str(manifest), root=str(tree), track_perms=True)
    assert check_integrity(tracked, runtime()).summary.endswith("mode, owner unchanged")
    (tree / "back\\slash.txt").chmod(0o666)
    result = check_integrity(tracked, runtime())
    assert result.status is Status.CRITICAL
    assert result.summary.startswith("1 with changed mode: back\\\\slash.txt")
    assert result.details == ("changed: back\\\\slash.txt (mode 0644 -> 0666)",)
    assert check_integrity(replace(tracked, track_perms=False), runtime()).status is Status.OK
    sidecar.unlink()
    with pytest.raises(CheckError, match="attributes file"):
        check_integrity(tracked, runtime())


# --- data: SQL ------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_shop(tmp_path) -> str:
    import sqlite3

    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("create table customers (id integer primary key)")
        db.execute("create table orders (id integer primary key, customer_id integer)")
        db.executemany("insert into customers values (?)", [(1,), (2,)])
        db.executemany("insert into orders values (?, ?)", [(1, 1), (2, 2), (3, 2)])
    return f"sqlite:///{path}"


ORPHANS = "select count(*) from orders o left join customers c on c.id = o.customer_id where c.id is null"


def _orphan(url: str, count: int) -> None:
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.executemany("insert into orders (customer_id) values (?)", [(99,)] * count)


def test_sqlite_no_orphans_is_ok_and_any_orphan_critical(sqlite_shop):
    options = IntegrityOptions(db=sqlite_shop, query=ORPHANS)
    clean = check_integrity(options, runtime())
    assert clean.status is Status.OK and clean.summary.startswith("query returned 0 on sqlite:///")
    assert [(p.label, p.value, p.critical.render()) for p in clean.perfdata] == [("value", 0, "0")]
    _orphan(sqlite_shop, 3)
    dirty = check_integrity(options, runtime())
    assert dirty.status is Status.CRITICAL and "returned 3" in dirty.summary and "critical > 0" in dirty.summary


def test_sqlite_thresholds_replace_the_default(sqlite_shop):
    _orphan(sqlite_shop, 3)
    options = IntegrityOptions(db=sqlite_shop, query=ORPHANS, warning=parse_range("0"), critical=parse_range("10"))
    assert check_integrity(options, runtime()).status is Status.WARNING
    only_warning = IntegrityOptions(db=sqlite_shop, query=ORPHANS, warning=parse_range("5"))
    assert check_integrity(only_warning, runtime()).status is Status.OK


def test_sqlite_url_from_the_environment(sqlite_shop):
    result = check_integrity(IntegrityOptions(db_env="SHOP_DB", query=ORPHANS), runtime({"SHOP_DB": sqlite_shop}))
    assert result.status is Status.OK


@pytest.mark.parametrize("query, words", [
    ("select 'many' from orders", "not a number"),
    ("select id from orders where id < 0", "no row"),
    ("select max(id) from orders where id < 0", "NULL"),
    ("select nope from nowhere", "query failed"),
])
def test_sqlite_values_that_are_not_a_count_are_unknown(sqlite_shop, query, words):
    with pytest.raises(CheckError, match=words):
        check_integrity(IntegrityOptions(db=sqlite_shop, query=query), runtime())


@pytest.mark.postgres
def test_postgresql_unsynchronised_records(postgresql_url):
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgresql_url)
    with engine.begin() as db:
        db.execute(sqlalchemy.text("create table application (id int primary key, status text)"))
        db.execute(sqlalchemy.text("create table participant (application_id int)"))
        db.execute(sqlalchemy.text("insert into application values (1, 'accepted'), (2, 'accepted'), (3, 'new')"))
        db.execute(sqlalchemy.text("insert into participant values (1)"))
    engine.dispose()
    query = ("select count(*) from application a where a.status = 'accepted' and not exists "
             "(select 1 from participant p where p.application_id = a.id)")
    result = check_integrity(IntegrityOptions(db=postgresql_url, query=query), runtime())
    assert result.status is Status.CRITICAL and "returned 1" in result.summary
    lenient = check_integrity(IntegrityOptions(db=postgresql_url, query=query, critical=parse_range("5")), runtime())
    assert lenient.status is Status.OK


@pytest.mark.postgres
def test_postgresql_down_is_critical_and_hides_the_password(postgresql_server, closed_port):
    url = f"postgresql+psycopg://audit:hunter2secret@127.0.0.1:{closed_port}/app"
    result = check_integrity(IntegrityOptions(db=url, query="select 0"), runtime())
    assert result.status is Status.CRITICAL and "cannot reach the database" in result.summary
    assert "hunter2secret" not in result.summary


# --- data: an audit command ---------------------------------------------------------------------


def audit(code: str) -> str:
    return shlex.join([sys.executable, "-c", code])


PASSING = audit("print('Checking 120 applications'); print('TOTAL ISSUES: 0')")
FAILING = audit("import sys; print('orphaned participant 17'); print('TOTAL ISSUES: 3'); sys.exit(1)")
LYING = audit("print('orphaned participant 17'); print('TOTAL ISSUES: 3')")


def test_audit_command_that_passes():
    result = check_integrity(IntegrityOptions(command=PASSING, expect="TOTAL ISSUES: 0"), runtime())
    assert result.status is Status.OK
    assert "passed (exit 0, 'TOTAL ISSUES: 0' found)" in result.summary
    assert result.perfdata[0].label == "time" and result.details == ()


def test_audit_command_that_fails_shows_its_last_lines():
    result = check_integrity(IntegrityOptions(command=FAILING, expect="TOTAL ISSUES: 0"), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary.endswith("exited 1 and 'TOTAL ISSUES: 0' not in its output: TOTAL ISSUES: 3")
    assert result.details == ("orphaned participant 17", "TOTAL ISSUES: 3")


def test_exit_zero_is_not_enough_when_the_output_disagrees():
    result = check_integrity(IntegrityOptions(command=LYING, expect="TOTAL ISSUES: 0"), runtime())
    assert result.status is Status.CRITICAL and "not in its output" in result.summary
    by_regex = check_integrity(IntegrityOptions(command=LYING, expect_regex=r"^TOTAL ISSUES: 0$"), runtime())
    assert by_regex.status is Status.CRITICAL and "no match for /^TOTAL ISSUES: 0$/" in by_regex.summary
    assert check_integrity(IntegrityOptions(command=LYING, expect_regex=r"^TOTAL ISSUES: [0-3]$"), runtime()).status \
        is Status.OK
    assert check_integrity(IntegrityOptions(command=LYING), runtime()).status is Status.OK  # exit code alone


def test_stderr_counts_as_output_and_only_the_tail_is_kept():
    noisy = audit("import sys\nfor i in range(100): print('line', i, flush=True)\n"
                  "print('TOTAL ISSUES: 2', file=sys.stderr)\nsys.exit(2)")
    result = check_integrity(IntegrityOptions(command=noisy, expect="TOTAL ISSUES: 0"), runtime())
    assert result.status is Status.CRITICAL and result.summary.endswith(": TOTAL ISSUES: 2")
    assert len(result.details) == 20 and result.details[-1] == "TOTAL ISSUES: 2"


def test_no_shell_unless_asked(tmp_path):
    marker = tmp_path / "ran"
    piped = f"echo 'TOTAL ISSUES: 0' | cat > {shlex.quote(str(marker))}"
    literal = check_integrity(IntegrityOptions(command="echo 'TOTAL ISSUES: 0' | cat", expect="TOTAL ISSUES: 0 | cat"),
                              runtime({"PATH": os.environ["PATH"]}))
    assert literal.status is Status.OK  # echo printed the '|' itself: no shell saw it
    shelled = check_integrity(IntegrityOptions(command=piped, shell=True), runtime({"PATH": os.environ["PATH"]}))
    assert shelled.status is Status.OK and marker.read_text() == "TOTAL ISSUES: 0\n"


def test_the_environment_comes_from_the_runtime():
    code = audit("import os; print('TOTAL ISSUES:', os.environ['ISSUES'])")
    assert check_integrity(IntegrityOptions(command=code, expect="TOTAL ISSUES: 0"),
                           runtime({"ISSUES": "0"})).status is Status.OK


def test_a_command_that_cannot_start_is_unknown():
    with pytest.raises(CheckError, match="not found"):
        check_integrity(IntegrityOptions(command="/no/such/audit-tool --all"), runtime())


def test_a_hanging_audit_hits_the_timeout_and_is_ended(tmp_path):
    pidfile = tmp_path / "pid"
    hang = audit(f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)")
    done = run_console_script("check-integrity", "--command", hang, "--expect", "TOTAL ISSUES: 0", "-t", "1s")
    assert done.code == 2 and done.first_line == "INTEGRITY CRITICAL - timed out after 1.0 s"
    unknown = run_console_script("check-integrity", "--command", hang, "-t", "500ms", "--timeout-result", "unknown")
    assert unknown.code == 3 and "timed out" in unknown.first_line
    import psutil

    pid = int(pidfile.read_text())
    gone = psutil.wait_procs([psutil.Process(pid)], timeout=5)[1] == [] if psutil.pid_exists(pid) else True
    assert gone, "the hanging audit command was left running"


def test_in_process_a_hanging_command_is_ended_after_the_deadline():
    hang = audit("import time; time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(DeadlinePassed, match="did not finish in time"):
        check_integrity(IntegrityOptions(command=hang), runtime(seconds=0.2))
    assert time.monotonic() - started < 1.5
    # as the suite runs it: the timeout state it asks for, not UNKNOWN
    outcome = execute(check_integrity, IntegrityOptions(command=hang), Runtime(), 0.2, Status.UNKNOWN)
    assert outcome.result.status is Status.UNKNOWN and outcome.timed_out
    assert outcome.result.summary.startswith("timed out after")


def test_the_judgement_does_not_wait_for_a_process_the_audit_left_holding_its_output(tmp_path):
    pidfile = tmp_path / "pid"
    command = f"sleep 30 & echo $! > {shlex.quote(str(pidfile))}; echo TOTAL ISSUES: 0"
    started = time.monotonic()
    try:
        done = run_console_script("check-integrity", "--shell", "--command", command, "--expect", "TOTAL ISSUES: 0",
                                  "-t", "3s")
        elapsed = time.monotonic() - started
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), 9)
    assert done.code == 0 and "passed (exit 0, 'TOTAL ISSUES: 0' found)" in done.first_line
    assert elapsed < 1.5, f"{elapsed:.2f} s: it waited for the background sleep"


# Runs check-integrity and prints the largest resident size of it (or what it started), in KiB.
MAX_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout)
"""


@pytest.mark.skipif(os.name == "nt", reason="resource is POSIX; head and /dev/zero too")
def test_a_huge_audit_output_is_kept_head_and_tail_in_bounded_memory():
    from tests.conftest import VENV_BIN

    script = str(VENV_BIN / "check-integrity")
    done = subprocess.run([sys.executable, "-c", MAX_RSS, script, "--shell", "--command",
                           "head -c 200000000 /dev/zero; echo; echo TOTAL ISSUES: 0", "--expect", "TOTAL ISSUES: 0"],
                          capture_output=True, text=True, timeout=90)
    code, max_rss_kib = map(int, done.stdout.split("\n")[0].split())
    assert code == 0, done.stdout
    assert max_rss_kib < 100 * 1024, f"{max_rss_kib / 1024:.0f} MiB for 200 MB of output"
    missing = subprocess.run([sys.executable, "-c", MAX_RSS, script, "--command", "head -c 200000000 /dev/zero",
                              "--expect", "TOTAL ISSUES: 0"], capture_output=True, text=True, timeout=90)
    code, max_rss_kib = map(int, missing.stdout.split("\n")[0].split())
    assert code == 2 and max_rss_kib < 100 * 1024
    first = missing.stdout.split("\n")[1]
    assert "bytes in the middle were not kept" in first and "\x00" not in missing.stdout
    assert all(len(line) <= 200 for line in missing.stdout.split("\n")[2:])


@pytest.mark.skipif(os.name == "nt", reason="a POSIX shell's trap")
def test_a_hanging_audit_ends_within_a_second_of_the_timeout_and_leaves_nothing(tmp_path):
    import psutil

    pidfile = tmp_path / "pid"
    # The background sleep ignores SIGTERM (the trap is inherited): only a kill ends it.
    command = f"trap '' TERM; sleep 60 & echo $! > {shlex.quote(str(pidfile))}; wait"
    started = time.monotonic()
    done = run_console_script("check-integrity", "--shell", "--command", command, "-t", "2s")
    elapsed = time.monotonic() - started
    assert done.code == 2 and done.first_line == "INTEGRITY CRITICAL - timed out after 2.0 s"
    # The limit, then half a second for the children to take SIGTERM before SIGKILL, then the
    # interpreter's start-up (0.1-0.6 s here): a hang guard, not a speed figure.
    assert elapsed < 3.5, f"{elapsed:.2f} s for -t 2s"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 2
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break  # killed; a container's PID 1 may be slow to reap an orphan
        except psutil.NoSuchProcess:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            pytest.fail("the audit's background process was left running")
        time.sleep(0.05)


# --- usage, and the real command -------------------------------------------------------------------


@pytest.mark.parametrize("options, words", [
    (IntegrityOptions(), "give one of"),
    (IntegrityOptions(manifest="m", command="true"), "one source at a time"),
    (IntegrityOptions(create=True, paths=(".",)), "--create needs --manifest"),
    (IntegrityOptions(manifest="m", create=True), "--create needs the files"),
    (IntegrityOptions(manifest="m", paths=("x",)), "PATH arguments go with --create"),
    (IntegrityOptions(manifest="m", create=True, paths=("x",), watch=("d",)), "--watch goes with checking"),
    (IntegrityOptions(manifest="m", algorithm="md5"), "invalid --algorithm"),
    (IntegrityOptions(manifest="m", jobs=0), "--jobs"),
    (IntegrityOptions(manifest="m", critical=parse_range("1")), "-w/-c are ranges on the --query value"),
    (IntegrityOptions(command="true", watch=("d",)), "--watch goes with --manifest"),
    (IntegrityOptions(manifest="m", expect="x"), "--expect goes with --command"),
    (IntegrityOptions(query="select 1"), "--query needs --db"),
    (IntegrityOptions(db="sqlite://"), "--db needs --query"),
    (IntegrityOptions(command="true", expect="a", expect_regex="b"), "not both"),
    (IntegrityOptions(command="true", expect_regex="("), "invalid --expect-regex"),
    (IntegrityOptions(command="'unclosed"), "invalid --command"),
])
def test_usage_mistakes(options, words):
    with pytest.raises(UsageError) as caught:
        check_integrity(options, runtime())
    assert words in str(caught.value)


def test_console_script_end_to_end(tree, tmp_path):
    manifest = tmp_path / "app.sha256"
    made = run_console_script("check-integrity", "--create", "-m", str(manifest), "--root", str(tree), ".")
    assert made.code == 0 and made.first_line.startswith(f"INTEGRITY OK - wrote 8 entries to {manifest}")
    ok = run_console_script("check-integrity", "-m", str(manifest), "--root", str(tree))
    assert ok.code == 0 and "| files=8;;;0 modified=0;;;0 missing=0;;;0 size=" in ok.first_line
    (tree / "cr\rname").write_text("changed")
    bad = run_console_script("check-integrity", "-m", str(manifest), "--root", str(tree), "--format", "json")
    assert bad.code == 2
    data = json.loads(bad.stdout)
    assert data["status"] == "CRITICAL" and data["details"] == ["modified: cr\\rname"]
    text = run_console_script("check-integrity", "-m", str(manifest), "--root", str(tree))
    assert text.stdout.splitlines() == [text.first_line, "modified: cr\\rname"]  # the CR stays escaped
    help_text = run_console_script("check-integrity", "--help").stdout
    for option in ("--manifest", "--create", "--algorithm", "--root", "--watch", "--track-perms", "--jobs", "--db",
                   "--db-env", "--db-file", "--query", "--command", "--shell", "--expect", "--expect-regex"):
        assert option in help_text
