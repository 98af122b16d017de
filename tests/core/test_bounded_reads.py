"""Every file read for a value is bounded: a 100 GiB sparse file named by mistake is one UNKNOWN line, fast, small."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN


def _sparse(tmp_path: Path) -> Path:
    huge = tmp_path / "huge"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024**3)  # 100 GiB of holes: no disk used, endless to read whole
    return huge


def _peak_rss_mib(argv: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run argv in a fresh interpreter that reports its child's peak RSS (RUSAGE_CHILDREN of that process only)."""
    script = ("import resource, subprocess, sys, json; "
              "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60); "
              "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
              "print(json.dumps([done.returncode, done.stdout, peak]))")
    started = time.monotonic()
    outer = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=90)
    took = time.monotonic() - started
    import json

    code, stdout, rss_kib = json.loads(outer.stdout)
    return subprocess.CompletedProcess(argv, code, stdout, ""), rss_kib / 1024, took


@pytest.mark.parametrize("command, args, words", [
    ("check-http", ["http://127.0.0.1:9/", "--data-file", "{huge}"], "invalid --data-file"),
    ("check-http", ["http://127.0.0.1:9/", "--auth-file", "{huge}"], "not a value file"),
    ("check-heartbeat", ["--db-file", "{huge}", "--query", "select 1", "-c", "1h"], "not a value file"),
    ("check-integrity", ["-m", "{huge}"], "not a manifest"),
    ("check-log", ["{log}", "-e", "x", "--state", "{huge}"], "not a check-log state file"),
])
def test_a_huge_file_named_for_a_value_is_refused_quickly_and_in_little_memory(tmp_path, command, args, words):
    huge = _sparse(tmp_path)
    log = tmp_path / "app.log"
    log.write_text("x\n")
    argv = [str(VENV_BIN / command), *(a.format(huge=huge, log=log) for a in args)]
    done, rss_mib, took = _peak_rss_mib(argv)
    assert done.returncode == 3, done.stdout
    assert " UNKNOWN - " in done.stdout and words in done.stdout, done.stdout
    assert "internal error" not in done.stdout and "MemoryError" not in done.stdout
    assert rss_mib < 200, f"{command} peaked at {rss_mib:.0f} MiB"
    assert took < 20


def test_the_helper_measures_a_child_not_this_process():
    """The RSS figure above is the child's: a tiny command reports a small figure."""
    _, rss_mib, _ = _peak_rss_mib([sys.executable, "-c", "pass"])
    assert 1 < rss_mib < resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + 100
