"""The fuzzer: every option of every command, and suite files, run for real against the output contract.

Strategies are derived from the commands (tests/fuzz_strategies.py). Each example runs two real
command lines at once as subprocesses, each in its own scratch folder (cwd, HOME,
CRONCHECKS_STATE_DIR), with `-t 2s` for a check unless the fuzzer chose a timeout (and
`--notify-timeout 2s` for the verbs that deliver), and asserts the contract: exit 0-3 (`cronchecks
run -- true`: 0 or 3), one status line first (or one JSON object for --format json), no `internal
error`, no traceback (stderr may have one at -vvv), and an end within the time limit + SLACK seconds.

CI: deterministic (derandomize) and bounded: BUDGET seconds in all, split between the option fuzz
and the suite-file fuzz; once its share is spent a test's examples pass without running (a failure
found before gets SHRINK_SECONDS more to be minimised). A long local run: CRONCHECKS_FUZZ_SECONDS=600
(random seeds, many more examples), e.g. `CRONCHECKS_FUZZ_SECONDS=600 pytest tests/test_fuzz.py -x`.

Known defects (KNOWN_DEFECTS, KNOWN_SUITE_DEFECTS) are the exact cases a fix is under way for: a
command line that matches one is not run (some hang or eat memory), only counted and reported at
the end; each entry's reproducer runs as a strict xfail, so once fixed it turns red: delete it then.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.thresholds import ParseError, parse_duration
from tests.conftest import VENV_BIN, LoopbackHTTP, Reply
from tests.fuzz_strategies import (
    EXCLUDED,
    Command,
    Invocation,
    discover_commands,
    invocations,
    suite_documents,
)

LONG_SECONDS = float(os.environ.get("CRONCHECKS_FUZZ_SECONDS") or 0)
LONG_RUN = LONG_SECONDS > 0
# A survey: with CRONCHECKS_FUZZ_COLLECT=FILE, failures are appended to FILE instead of failing the test, so a
# long run lists every kind of failure rather than the first, minimised.
COLLECT = os.environ.get("CRONCHECKS_FUZZ_COLLECT")
BUDGET = LONG_SECONDS or 100.0  # both tests together
OPTIONS_SHARE, SUITE_SHARE = 0.75, 0.25
SHRINK_SECONDS = 300.0 if LONG_RUN else 60.0
CHECK_TIMEOUT = 2.0  # -t for a check, --notify-timeout for the verbs, unless the fuzzer chose one
SLACK = 3.0  # seconds past the limit a command may take: start-up (~0.1 s idle) on a loaded, shared machine
KILL_AFTER = 5.0  # the hard limit: the limit + this, then the process group is killed
MEMORY_LIMIT = 2 << 30  # bytes of address space for each command run
DEMO_LIMIT = 30.0  # demo has no --timeout; its tour takes ~6 s
STATUS_LINE = re.compile(r"^[A-Z0-9_ .-]+ (OK|WARNING|CRITICAL|UNKNOWN) - ")
LABELLED_LINE = re.compile(r"^.* (OK|WARNING|CRITICAL|UNKNOWN) - ")  # --label given: its text is the user's
VERSION_LINE = re.compile(r"^cronchecks \S+$")
STATUS_CODES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}

COMMANDS = discover_commands()


# --- known defects: the exact cases being fixed elsewhere ---------------------------------------------


class KnownDefect(NamedTuple):
    """A failing case a fix is under way for: `verb` and the `option` (long flag) whose value matches `value`."""

    verb: str  # a check's name or a verb; "*": every check
    option: str
    value: str  # a regex, fullmatched against the value template (@WS@ etc. unresolved)
    reason: str
    reproducer: tuple[str, ...]  # argv after the program (`cronchecks` + verb, or check-NAME), templates


KNOWN_DEFECTS: list[KnownDefect] = []


class KnownSuiteDefect(NamedTuple):
    pattern: str  # a regex searched in the suite file's text (placeholders unresolved)
    reason: str
    reproducer: str  # a suite file's text


KNOWN_SUITE_DEFECTS: list[KnownSuiteDefect] = []


def known_defect(invocation: Invocation) -> KnownDefect | None:
    for defect in KNOWN_DEFECTS:
        verb = invocation.command.verb
        if (defect.verb == verb or (defect.verb == "*" and invocation.command.is_check)) and any(
                re.fullmatch(defect.value, value, re.DOTALL) for value in invocation.values_of(defect.option)):
            return defect
    return None


def known_suite_defect(text: str) -> KnownSuiteDefect | None:
    return next((d for d in KNOWN_SUITE_DEFECTS if re.search(d.pattern, text, re.DOTALL)), None)


# --- the world each command runs in ---------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    server = LoopbackHTTP()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    server.routes.update({
        "/": Reply(200, "OK healthy\n"),
        "/json": Reply(200, {"status": "healthy", "n": 5, "lastHeartbeatAt": now, "nested": {"list": [1, "x"]}}),
        "/heartbeat": Reply(200, {"lastHeartbeatAt": now}),
        "/slow": Reply(200, "late", delay=30),
        "/big": Reply(200, b"x" * (8 << 20)),
        "/redirect": Reply(302, b"", {"Location": "/redirect"}),
        "/500": Reply(500, "boom"),
    })
    root = Path(tempfile.mkdtemp(prefix="cronchecks-fuzz-"))
    with server:
        yield World(root, server.server.server_port, _closed_port())
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class World:
    root: Path
    port: int
    closed: int
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def workspace(self) -> Path:
        """A fresh scratch folder with the files the value pools name."""
        with self.lock:
            self.counter += 1
            ws = self.root / f"w{self.counter}"
        (ws / "dir" / "sub").mkdir(parents=True)
        (ws / "home").mkdir()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        (ws / "small.log").write_text(f"{stamp} INFO up\n{stamp} CRITICAL: disk\n{stamp} ERROR x\nxxxxy\n")
        (ws / "dir" / "a.log").write_text("CRITICAL a\n")
        (ws / "dir" / "sub" / "b.txt").write_text("b\n")
        (ws / "longline.log").write_text("a" * 300_000 + "CRITICAL\n")
        (ws / "binary.bin").write_bytes(bytes(range(256)) * 4)
        (ws / "empty").write_bytes(b"")
        (ws / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (ws / "bad.toml").write_text("[[check]\nname = \n")
        (ws / "suite.toml").write_text(
            f'[[check]]\nname = "x"\ntype = "log"\nfiles = ["{ws}/small.log"]\npattern = "CRITICAL"\ntimeout = "2s"\n')
        (ws / "manifest.sha256").write_text("0" * 64 + "  small.log\n")
        os.mkfifo(ws / "fifo")
        os.symlink("/dev/zero", ws / "zero")
        os.symlink("/dev/null", ws / "null")
        os.symlink(ws / "loop", ws / "loop")
        os.symlink(ws / "nowhere", ws / "dangling")
        with sqlite3.connect(ws / "beats.sqlite") as db:
            db.execute("create table beats (t text)")
            db.execute("insert into beats values (?)", (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),))
        db.close()
        return ws

    def resolve(self, text: str, ws: Path) -> str:
        return text.replace("@WS@", str(ws)).replace("@CLOSED@", str(self.closed)).replace("@PORT@", str(self.port))

    def env(self, ws: Path) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("CRONCHECKS_", "AWS_", "HYPOTHESIS"))
               and key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        env.update({
            "HOME": str(ws / "home"), "CRONCHECKS_STATE_DIR": str(ws / "state"), "NO_COLOR": "1", "COLUMNS": "200",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": str(ws / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(ws / "aws-credentials"),
            "FUZZ_SECRET": "user:secret", "FUZZ_EMPTY": "", "FUZZ_NEWLINE": "a\nb", "FUZZ_LONG": "y" * 100_000,
        })
        return env


# --- running one command line ---------------------------------------------------------------------------


@dataclass
class Outcome:
    argv: list[str]
    code: int | None  # None: killed at the hard limit
    stdout: str
    stderr: str
    elapsed: float
    limit: float | None  # the time it had to end in (its time limit + SLACK), None: open-ended


def run_argv(argv: list[str], cwd: Path, env: dict[str, str], kill_after: float) -> tuple[int | None, str, str, float]:
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    with contextlib.suppress(OSError, ValueError):
        # A command that reads /dev/zero whole must not take the shared machine's memory down with it: past
        # this it gets MemoryError (which the contract then catches as `internal error`).
        resource.prlimit(process.pid, resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    try:
        out, err = process.communicate(timeout=kill_after)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group of the process this test started, and its children
        out, err = process.communicate()
        code = None
    elapsed = time.monotonic() - started
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), elapsed


def _seconds(text: str | None) -> float | None:
    """What a duration option's value means, the product's own way; None if it is not a duration > 0."""
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except (ParseError, OverflowError, ValueError):
        return None
    return seconds if seconds > 0 else None


def prepare(invocation: Invocation, world: World) -> tuple[list[str], Path, dict[str, str], float | None]:
    """argv, cwd, env and the time limit (None: open-ended, the fuzzer chose a long one) of an invocation."""
    ws = world.workspace()
    command = invocation.command
    argv = [world.resolve(token, ws) for token in invocation.argv]
    limit: float | None = CHECK_TIMEOUT
    if command.is_check:
        if invocation.has("--timeout"):
            chosen = _seconds(world.resolve(invocation.last("--timeout") or "", ws))
            limit = chosen if chosen is None or chosen <= CHECK_TIMEOUT else None
            limit = CHECK_TIMEOUT if chosen is None else limit  # a bad -t: refused at once
        else:
            argv = [*_before_dashes(argv, ["-t", f"{CHECK_TIMEOUT:g}s"])]
    elif command.option("--notify-timeout") is not None:
        if invocation.has("--notify-timeout"):
            chosen = _seconds(invocation.last("--notify-timeout"))
            limit = CHECK_TIMEOUT if chosen is None else chosen if chosen <= CHECK_TIMEOUT else None
        else:
            argv = _before_dashes(argv, ["--notify-timeout", f"{CHECK_TIMEOUT:g}s"])
        if command.verb == "suite" and limit is not None:
            limit += CHECK_TIMEOUT  # the suite file's own checks run with timeout = "2s"
    elif command.verb == "demo":
        limit = DEMO_LIMIT
    return [*(_program(invocation.program)), *argv], ws, world.env(ws), limit


def _program(program: tuple[str, ...]) -> list[str]:
    return [str(VENV_BIN / program[0]), *program[1:]]


def _before_dashes(argv: list[str], extra: list[str]) -> list[str]:
    """Add options where they are read as options: before a lone `--`, else at the end."""
    if "--" in argv:
        index = argv.index("--")
        return [*argv[:index], *extra, *argv[index:]]
    return [*argv, *extra]


def execute(invocation: Invocation, world: World) -> Outcome:
    argv, ws, env, limit = prepare(invocation, world)
    kill_after = (limit if limit is not None else CHECK_TIMEOUT) + KILL_AFTER
    code, out, err, elapsed = run_argv(argv, ws, env, kill_after)
    shutil.rmtree(ws, ignore_errors=True)
    return Outcome(argv, code, out, err, elapsed, None if limit is None else limit + SLACK)


# --- the contract ---------------------------------------------------------------------------------


def _expects_json(invocation: Invocation) -> bool:
    value = invocation.last("--format")
    return invocation.command.option("--format") is not None and value is not None and value.strip().lower() == "json"


def _verbosity(invocation: Invocation) -> int:
    tokens = list(invocation.argv)
    tokens = tokens[:tokens.index("--")] if "--" in tokens else tokens
    return sum(len(t) - 1 if re.fullmatch(r"-v+", t) else int(t == "--verbose") for t in tokens)


def problems(invocation: Invocation, outcome: Outcome) -> list[str]:
    """What is wrong with one outcome; empty when it keeps the contract."""
    found: list[str] = []
    verb = invocation.command.verb
    code = outcome.code
    if code is None:
        if outcome.limit is not None:
            found.append(f"still running after {outcome.elapsed:.1f} s: killed (limit {outcome.limit:g} s)")
        return found  # open-ended: a long -t the fuzzer chose may be used in full
    if outcome.limit is not None and outcome.elapsed > outcome.limit:
        found.append(f"took {outcome.elapsed:.1f} s (limit {outcome.limit:g} s)")
    if verb == "run":
        if code not in (0, 3):
            found.append(f"cronchecks run -- true exited {code} (expected 0, or 3 for its own argument errors)")
    elif not 0 <= code <= 3:
        found.append(f"exit code {code} is not 0-3")
    if "internal error" in outcome.stdout.lower():
        found.append("`internal error` in stdout")
    if "Traceback (most recent call last)" in outcome.stdout:
        found.append("a traceback in stdout")
    if "Traceback (most recent call last)" in outcome.stderr and _verbosity(invocation) < 3:
        found.append("a traceback in stderr without -vvv")
    found += _output_problems(invocation, outcome, code)
    return found


def _output_problems(invocation: Invocation, outcome: Outcome, code: int) -> list[str]:
    verb = invocation.command.verb
    stdout = outcome.stdout
    first = stdout.split("\n")[0]  # lines as Nagios reads them: \x1e or \u2028 in a label split nothing
    if (invocation.has("--version") or invocation.has("-V")) and code == 0 and VERSION_LINE.match(first):
        return []
    # Which outputs must start with a status line: a check's always, suite's unless a table was asked for,
    # and the others' (whose normal output is a report, a tour, or the wrapped command's) when they fail.
    if invocation.command.is_check:
        must = True
    elif verb == "suite":
        fmt = (invocation.last("--format") or "auto").strip().lower()
        must = code == 3 or fmt not in ("table",)
    else:
        must = code == 3
    if verb == "report" and invocation.has("--quiet") and code != 3:
        return []
    if _expects_json(invocation) and (must or verb == "report"):
        try:
            data = json.loads(stdout)
        except ValueError:
            return [f"--format json, but stdout is not one JSON object: {stdout[:300]!r}"]
        if not isinstance(data, dict):
            return ["--format json, but stdout is not a JSON object"]
        if must and verb != "report" and STATUS_CODES.get(str(data.get("status"))) != code:
            return [f"JSON status {data.get('status')!r} does not match exit code {code}"]
        return []
    if not must:
        return []
    pattern = LABELLED_LINE if invocation.has("--label") else STATUS_LINE
    match = pattern.match(first)
    if not match:
        return [f"first line is not a status line: {first[:300]!r}"]
    if verb != "run" and STATUS_CODES[match.group(1)] != code and invocation.command.is_check:
        return [f"status {match.group(1)} does not match exit code {code}"]
    return []


# --- bookkeeping across examples ------------------------------------------------------------------------


@dataclass
class Clock:
    share: float
    started: float | None = None  # the first example's start
    failed: bool = False
    runs: int = 0
    known: dict[str, list[str]] = field(default_factory=dict)
    slowest: float = 0.0  # the largest elapsed - limit seen (how close to the bound we came)

    def spent(self) -> bool:
        now = time.monotonic()
        self.started = now if self.started is None else self.started
        allowed = self.share + (SHRINK_SECONDS if self.failed else 0.0)
        return now - self.started > allowed


def fuzz_settings(max_examples: int, share: float) -> settings:
    """CI: `max_examples`, fixed seeds. Long runs: random seeds and as many as could fit (the clock ends them:
    past it an example is a no-op, so the cap is kept near what fits, ~4 pairs a second at best)."""
    return settings(
        max_examples=int(share * 4) if LONG_RUN else max_examples,
        deadline=None,
        derandomize=not LONG_RUN,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                               HealthCheck.filter_too_much],
    )


def _describe(outcome: Outcome, found: list[str]) -> str:
    return (f"$ {shlex.join(outcome.argv)}\n  -> exit {outcome.code} in {outcome.elapsed:.2f} s: {'; '.join(found)}\n"
            f"  stdout: {outcome.stdout[:1500]!r}\n  stderr: {outcome.stderr[-1500:]!r}")


def _report_known(clock: Clock, what: str) -> None:
    """What ran, and the known defects it hit, as a warning (pytest's summary shows it)."""
    lines = [f"  {reason}: {len(argvs)}x, e.g. {argvs[0]}" for reason, argvs in clock.known.items()]
    warnings.warn(f"{what}; known defects hit (KNOWN_* in tests/test_fuzz.py): {len(lines)}\n" + "\n".join(lines),
                  stacklevel=1)


def from_argv(command: Command, argv: tuple[str, ...]) -> Invocation:
    """An Invocation for a hand-written command line (a reproducer): its options read by their flags."""
    given: list[tuple[str, str | None]] = []
    tokens = list(argv)
    index = 0
    while index < len(tokens):
        flag, _, inline = tokens[index].partition("=")
        param = next((p for p in command.params if flag in p.flags + p.secondary), None)
        if param is None or param.kind in ("flag", "count"):
            given.append((param.long if param else tokens[index], None))
        elif inline or "=" in tokens[index]:
            given.append((param.long, inline))
        else:
            given.append((param.long, tokens[index + 1] if index + 1 < len(tokens) else None))
            index += 1
        index += 1
    return Invocation(command, command.programs[0], argv, tuple(given))


# --- the tests ------------------------------------------------------------------------------------------


def test_every_option_is_fuzzed():
    """The derivation sees every command and option; the exclusions name options that exist."""
    verbs = {c.verb for c in COMMANDS}
    assert {"http", "heartbeat", "log", "service", "integrity", "run", "suite", "report", "demo"} <= verbs
    for verb, long in EXCLUDED:
        command = next(c for c in COMMANDS if c.verb == verb)
        assert command.option(long) is not None, f"EXCLUDED names {verb} {long}, which is gone: delete it"
    for defect in KNOWN_DEFECTS:
        command = next(c for c in COMMANDS if c.verb == ("log" if defect.verb == "*" else defect.verb))
        assert command.option(defect.option) is not None, f"KNOWN_DEFECTS names {defect.verb} {defect.option}"


OPTIONS_CLOCK = Clock(BUDGET * OPTIONS_SHARE)


@pytest.mark.timeout(int(BUDGET * OPTIONS_SHARE + SHRINK_SECONDS + 60))
@fuzz_settings(max_examples=400, share=BUDGET * OPTIONS_SHARE)
@given(pair=st.lists(invocations(COMMANDS), min_size=2, max_size=2))
def test_fuzz_every_option(world, pair):
    clock = OPTIONS_CLOCK
    if clock.spent():
        return
    # A command line that matches a known defect is not run (some of them hang or eat memory): it is counted.
    for invocation in pair:
        defect = known_defect(invocation)
        if defect is not None:
            clock.known.setdefault(defect.reason, []).append(shlex.join(invocation.argv)[:300])
    pair = [invocation for invocation in pair if known_defect(invocation) is None]
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda inv: execute(inv, world), pair))
    failures = []
    for invocation, outcome in zip(pair, outcomes, strict=True):
        clock.runs += 1
        if outcome.limit is not None:
            clock.slowest = max(clock.slowest, outcome.elapsed - (outcome.limit - SLACK))
        found = problems(invocation, outcome)
        if found:
            failures.append(_describe(outcome, found))
    if failures and COLLECT:
        with open(COLLECT, "a", encoding="utf-8") as survey:
            survey.write("\n".join(failures) + "\n\n")
    elif failures:
        clock.failed = True
        raise AssertionError("the output contract is broken:\n" + "\n".join(failures))


def test_fuzz_every_option_summary():
    """Runs after the fuzz (file order): how many command lines ran, and the known defects they hit."""
    clock = OPTIONS_CLOCK
    _report_known(clock, f"option fuzz: {clock.runs} command lines, worst overrun of a time limit "
                         f"{clock.slowest:.2f} s")


SUITE_CLOCK = Clock(BUDGET * SUITE_SHARE)


@pytest.mark.timeout(int(BUDGET * SUITE_SHARE + SHRINK_SECONDS + 60))
@fuzz_settings(max_examples=300, share=BUDGET * SUITE_SHARE)
@given(pair=st.lists(suite_documents(COMMANDS), min_size=2, max_size=2))
def test_fuzz_suite_files(world, pair):
    clock = SUITE_CLOCK
    if clock.spent():
        return

    def check(text: str) -> tuple[str, list[str], str]:
        ws = world.workspace()
        path = ws / "fuzz.toml"
        path.write_text(world.resolve(text, ws), encoding="utf-8")
        argv = [str(VENV_BIN / "cronchecks"), "suite", "--check", str(path)]
        code, out, err, elapsed = run_argv(argv, ws, world.env(ws), CHECK_TIMEOUT + KILL_AFTER)
        shutil.rmtree(ws, ignore_errors=True)
        found = []
        if code is None:
            found.append(f"still running after {elapsed:.1f} s: killed")
        elif code not in (0, 3):
            found.append(f"exit {code} (expected 0, or 3 for a mistake)")
        lines = out.rstrip("\n").split("\n")
        if code is not None and (len(lines) != 1 or not STATUS_LINE.match(lines[0])):
            found.append(f"not one status line: {out[:500]!r}")
        if "internal error" in out.lower():
            found.append("`internal error` in stdout")
        if "Traceback (most recent call last)" in out + err:
            found.append("a traceback")
        described = f"$ {shlex.join(argv)}\n  -> exit {code}\n  stdout: {out[:1000]!r}\n  stderr: {err[-1000:]!r}"
        return text, found, described

    for text in pair:
        defect = known_suite_defect(text)
        if defect is not None:
            clock.known.setdefault(defect.reason, []).append(text[:300])
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(check, [text for text in pair if known_suite_defect(text) is None]))
    failures = []
    for text, found, described in results:
        clock.runs += 1
        if not found:
            continue
        failures.append(f"suite file:\n{text}\n{described}\n  problems: {'; '.join(found)}")
    if failures and COLLECT:
        with open(COLLECT, "a", encoding="utf-8") as survey:
            survey.write("\n".join(failures) + "\n\n")
    elif failures:
        clock.failed = True
        raise AssertionError("suite --check broke the contract:\n" + "\n".join(failures))


def test_fuzz_suite_files_summary():
    clock = SUITE_CLOCK
    _report_known(clock, f"suite-file fuzz: {clock.runs} suite files")


# --- each known defect, still there? (strict: once fixed this fails: delete the entry) -----------------


@pytest.mark.parametrize("defect", KNOWN_DEFECTS, ids=lambda d: f"{d.verb} {d.option}")
@pytest.mark.xfail(strict=True, reason="a known defect (KNOWN_DEFECTS): fixed? delete its entry")
def test_known_defect_still_present(world, defect):
    command = next(c for c in COMMANDS if c.verb == ("log" if defect.verb == "*" else defect.verb))
    invocation = from_argv(command, defect.reproducer)
    outcome = execute(invocation, world)
    found = problems(invocation, outcome)
    assert not found, _describe(outcome, found)


@pytest.mark.parametrize("defect", KNOWN_SUITE_DEFECTS, ids=lambda d: d.reason[:40])
@pytest.mark.xfail(strict=True, reason="a known defect (KNOWN_SUITE_DEFECTS): fixed? delete its entry")
def test_known_suite_defect_still_present(world, defect):
    ws = world.workspace()
    path = ws / "known.toml"
    path.write_text(world.resolve(defect.reproducer, ws), encoding="utf-8")
    code, out, _err, _elapsed = run_argv([str(VENV_BIN / "cronchecks"), "suite", "--check", str(path)], ws,
                                         world.env(ws), CHECK_TIMEOUT + KILL_AFTER)
    assert code in (0, 3) and len(out.splitlines()) == 1 and STATUS_LINE.match(out)
    assert "internal error" not in out.lower()
