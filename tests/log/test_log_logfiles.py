"""check-log against check_logfiles itself: the same state and counts on the same logs, whole and across logrotate."""

from __future__ import annotations

import os
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.result import Status
from tests.conftest import run_console_script
from tests.log_fixtures import CheckLogfiles, Rotator, perf, run_log

# What the logs hold: each kind of line the patterns below tell apart.
VOCABULARY = [
    "INFO request served in 12 ms",
    "INFO cache miss for user 42",
    "ERROR disk full on /var",
    "WARN slow query took 5200 ms",
    "ERROR known harmless glitch in the poller",
    "INFO service RECOVERED after restart",
    "ERROR WARN both at once",
]
WEIGHTS = [30, 20, 8, 8, 4, 2, 3]
CRITICAL, WARNING, OK_LINE, EXCEPTION = "ERROR", "WARN", "RECOVERED", "harmless"
ROTATION = r"app\.log\.[0-9]+(\.gz)?$"  # check_logfiles' rotation as a regex: Debian logrotate's names
MODES = {
    "copytruncate": "copytruncate",
    "create+compress": "create\n    compress",
    "delaycompress": "create\n    compress\n    delaycompress",
}


class Truth:
    """The counts check_logfiles' rules give, worked out from the lines the test wrote."""

    def __init__(self, ok: bool, exception: bool, threshold: int) -> None:
        self.ok, self.exception, self.threshold = ok, exception, threshold
        self.pending = 0  # critical hits short of the threshold, carried between runs

    def run(self, lines: list[str]) -> tuple[str, int, int]:
        critical = warning = 0
        for line in lines:
            hit_critical = CRITICAL in line and not (self.exception and EXCEPTION in line)
            if hit_critical:
                self.pending += 1
                if self.pending >= self.threshold:
                    self.pending = 0
                    critical += 1
            warning += WARNING in line
            if self.ok and OK_LINE in line:
                critical = warning = self.pending = 0
        state = "CRITICAL" if critical else "WARNING" if warning else "OK"
        return state, critical, warning


class Pair:
    """check-log and check_logfiles on the same log, each with its own state, and the log's writer."""

    def __init__(self, folder: Path, *, ok: bool = False, exception: bool = False, threshold: int = 1,
                 sticky: int | None = None) -> None:
        self.log = folder / "app.log"
        self.clock = time.time() - 100_000  # mtimes a step apart: check_logfiles judges them in whole seconds
        self.write([])
        options = ["--criticalpattern", CRITICAL, "--warningpattern", WARNING]
        ours: dict = {"critical_patterns": (CRITICAL,), "warning_patterns": (WARNING,), "state": str(folder / "st")}
        if ok:
            options += ["--okpattern", OK_LINE]
            ours["ok_patterns"] = (OK_LINE,)
        if exception:
            options += ["--criticalexception", EXCEPTION]
            ours["critical_exceptions"] = (EXCEPTION,)
        if threshold > 1:
            options += ["--criticalthreshold", str(threshold)]
            ours["critical_threshold"] = threshold
        if sticky is not None:
            options += [f"--sticky={sticky}"]
            ours["sticky"] = float(sticky)
        self.peer = CheckLogfiles(folder, self.log, *options, rotation=ROTATION)
        self.ours = ours
        self.truth = Truth(ok, exception, threshold)

    def write(self, lines: list[str]) -> None:
        with open(self.log, "a") as handle:
            handle.write("".join(line + "\n" for line in lines))
        self.clock += 10
        os.utime(self.log, (self.clock, self.clock))

    def rotate(self, rotator: Rotator) -> None:
        """A real logrotate run; each generation then keeps the mtime of the file it came from (on the test's
        clock: a copy or a compressed file made now would look newer than every run so far)."""
        def generations() -> dict[int, Path]:
            found = {}
            for path in self.log.parent.glob("app.log.*"):
                number = path.name.split(".")[2]
                if number.isdigit():
                    found[int(number)] = path
            return found

        times = {number: path.stat().st_mtime for number, path in generations().items()}
        times[0] = self.log.stat().st_mtime
        rotator.rotate()
        for number, path in generations().items():
            if number - 1 in times:
                os.utime(path, (times[number - 1], times[number - 1]))
        self.write([])

    def run(self) -> tuple[tuple[str, int, int], tuple[str, int, int]]:
        """(check_logfiles' state and counts, check-log's)."""
        peer = self.peer.run()
        result = run_log(self.log, now=datetime.now(UTC), **self.ours)
        return peer, (result.status.name, int(perf(result, "critical_pattern")), int(perf(result, "warning_pattern")))


def lines(rng: random.Random, count: int) -> list[str]:
    return [f"2026-11-24 10:00:{i % 60:02d} " + rng.choices(VOCABULARY, WEIGHTS)[0] for i in range(count)]


@pytest.mark.parametrize("variant", ["plain", "ok", "exception", "threshold"])
def test_the_whole_log_gives_the_same_state_and_counts(tmp_path, variant):
    pair = Pair(tmp_path, ok=variant == "ok", exception=variant == "exception",
                threshold=3 if variant == "threshold" else 1)
    assert pair.run() == (("OK", 0, 0), ("OK", 0, 0))  # both only take their position at the first run
    written = lines(random.Random(variant), 200)
    pair.write(written)
    peer, ours = pair.run()
    assert peer == ours == pair.truth.run(written)
    # Without --state, check-log counts the whole file: the same again.
    whole = run_log(pair.log, **{k: v for k, v in pair.ours.items() if k != "state"})
    assert (whole.status.name, perf(whole, "critical_pattern"), perf(whole, "warning_pattern")) == \
        pair.truth.__class__(variant == "ok", variant == "exception", 3 if variant == "threshold" else 1).run(written)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("features", ["plain", "ok+exception+threshold"])
def test_incremental_runs_across_logrotate_agree(tmp_path, mode, features):
    every = features != "plain"
    pair = Pair(tmp_path, ok=every, exception=every, threshold=2 if every else 1)
    rotator = Rotator(tmp_path, pair.log, MODES[mode])
    rng = random.Random(f"{mode}{features}")
    assert pair.run() == (("OK", 0, 0), ("OK", 0, 0))
    seen_states = set()
    for round_number in range(5):
        before, after = lines(rng, rng.randrange(0, 25)), lines(rng, rng.randrange(0, 25))
        pair.write(before)
        if round_number % 2 == 1:  # check_logfiles follows one rotation between runs (two confuse it)
            pair.rotate(rotator)
        pair.write(after)
        peer, ours = pair.run()
        expected = pair.truth.run(before + after)
        assert (peer, ours) == (expected, expected), (round_number, sorted(p.name for p in tmp_path.iterdir()))
        seen_states.add(expected[0])
    assert "CRITICAL" in seen_states


def test_sticky_keeps_the_state_until_an_ok_line_as_check_logfiles_does(tmp_path):
    pair = Pair(tmp_path, ok=True, sticky=3600)
    assert pair.run() == (("OK", 0, 0), ("OK", 0, 0))
    steps = [
        (["INFO request served", "ERROR disk full on /var"], "CRITICAL"),
        (["INFO request served"], "CRITICAL"),  # nothing new: the critical sticks
        ([], "CRITICAL"),
        (["INFO service RECOVERED after restart"], "OK"),  # the ok line ends it
        ([], "OK"),
        (["WARN slow query"], "WARNING"),
        (["INFO quiet"], "WARNING"),
        (["ERROR disk full on /var"], "CRITICAL"),  # worse replaces
        (["WARN slow query"], "CRITICAL"),  # a warning under a sticking critical keeps the critical
    ]
    for number, (new_lines, state) in enumerate(steps):
        pair.write(new_lines)
        peer, ours = pair.run()
        assert peer[0] == ours[0] == state, number


def test_sticky_expires_after_its_duration_and_says_since_when(tmp_path):
    log, state = tmp_path / "app.log", str(tmp_path / "st")
    log.write_text("")
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    options: dict = {"critical_patterns": ("ERROR",), "state": state, "sticky": 600.0, "ok_patterns": ("RECOVERED",)}
    assert run_log(log, now=start, **options).status is Status.OK
    with open(log, "a") as handle:
        handle.write("ERROR disk full\n")
    assert run_log(log, now=start.replace(minute=1), **options).status is Status.CRITICAL
    later = run_log(log, now=start.replace(minute=10), **options)
    assert later.status is Status.CRITICAL
    assert "CRITICAL since 2026-11-24 12:01:00Z" in later.summary and "ERROR disk full" in later.summary
    assert run_log(log, now=start.replace(minute=11, second=1), **options).status is Status.OK  # 600 s passed
    assert run_log(log, now=start.replace(minute=12), **options).status is Status.OK


def test_a_new_hit_restarts_the_sticky_period_but_keeps_its_start(tmp_path):
    log, state = tmp_path / "app.log", str(tmp_path / "st")
    log.write_text("")
    start = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    options: dict = {"warning_patterns": ("WARN",), "state": state, "sticky": 300.0}
    run_log(log, now=start, **options)
    for minute in (1, 5):
        with open(log, "a") as handle:
            handle.write("WARN slow\n")
        assert run_log(log, now=start.replace(minute=minute), **options).status is Status.WARNING
    result = run_log(log, now=start.replace(minute=9), **options)  # 4 minutes after the newest hit
    assert result.status is Status.WARNING and re.search(r"WARNING since 2026-11-24 12:01:00Z", result.summary)
    assert run_log(log, now=start.replace(minute=10, second=1), **options).status is Status.OK


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.integers(0, len(VOCABULARY) - 1), max_size=60), ok=st.booleans(), exception=st.booleans(),
       threshold=st.integers(1, 4), split=st.integers(0, 60))
def test_generated_logs_follow_check_logfiles_rules_whole_and_in_two_runs(tmp_path, kinds, ok, exception, threshold,
                                                                          split):
    log, state = tmp_path / "app.log", tmp_path / "st"
    state.unlink(missing_ok=True)
    written = [VOCABULARY[k] for k in kinds]
    options: dict = {"critical_patterns": (CRITICAL,), "warning_patterns": (WARNING,),
                     "ok_patterns": (OK_LINE,) if ok else (), "critical_exceptions": (EXCEPTION,) if exception else (),
                     "critical_threshold": threshold}
    log.write_text("".join(line + "\n" for line in written))
    result = run_log(log, **options)
    assert (result.status.name, perf(result, "critical_pattern"), perf(result, "warning_pattern")) == \
        Truth(ok, exception, threshold).run(written)
    # In two --state runs the threshold's pending hits carry over: the second run's counts are the model's.
    truth = Truth(ok, exception, threshold)
    log.write_text("".join(line + "\n" for line in written[:split]))
    first = run_log(log, state=str(state), from_start=True, **options)
    assert perf(first, "critical_pattern") == truth.run(written[:split])[1]
    with open(log, "a") as handle:
        handle.write("".join(line + "\n" for line in written[split:]))
    second = run_log(log, state=str(state), **options)
    assert (second.status.name, perf(second, "critical_pattern"), perf(second, "warning_pattern")) == \
        truth.run(written[split:])


def test_an_ok_line_clears_its_own_log_only(tmp_path):
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("ERROR one\n")
    second.write_text("ERROR two\nall RECOVERED\n")
    result = run_log(first, second, critical_patterns=("ERROR",), ok_patterns=("RECOVERED",))
    assert perf(result, "critical_pattern") == 1 and result.summary.endswith("newest: ERROR one")


def test_an_ok_line_in_the_new_file_clears_the_rotated_rest(tmp_path):
    log, state = tmp_path / "app.log", tmp_path / "st"
    log.write_text("start\n")
    options: dict = {"critical_patterns": ("ERROR",), "ok_patterns": ("RECOVERED",), "state": str(state)}
    run_log(log, **options)
    with open(log, "a") as handle:
        handle.write("ERROR before the rotation\n")
    log.rename(tmp_path / "app.log.1")
    log.write_text("service RECOVERED\nINFO fine\n")
    result = run_log(log, **options)
    assert result.status is Status.OK and "counted after the newest ok line: service RECOVERED" in result.summary


@pytest.mark.parametrize("argv,message", [
    (["--sticky", "1h"], "--sticky goes with --state"),
    (["--state", "@WS@/st", "--sticky", "0"], "--sticky"),
    (["--critical-threshold", "0"], "critical-threshold"),
    (["--critical-threshold", "x"], "critical-threshold"),
    (["--warning-threshold", "2", "-e", "x"], "--warning-threshold goes with --warning-pattern"),
    (["--warning-exception", "x"], "--warning-exception goes with --warning-pattern"),
    (["--ok-pattern", "("], "--ok-pattern"),
    (["--ok-pattern", ""], "--ok-pattern"),
])
def test_usage_mistakes_are_one_unknown_line(tmp_path, argv, message):
    log = tmp_path / "app.log"
    log.write_text("ERROR\n")
    argv = [a.replace("@WS@", str(tmp_path)) for a in argv]
    done = run_console_script("check-log", str(log), "--critical-pattern", "ERROR", *argv)
    assert done.code == 3 and done.stdout.startswith("LOG UNKNOWN - ") and message in done.stdout
    assert done.stdout.count("\n") == 1 and "Traceback" not in done.stderr
