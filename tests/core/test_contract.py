"""The plugin exit-code contract, for every console script and every bin/ executable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from cronchecks import __version__
from tests.conftest import COMMANDS, ROOT, VENV_BIN, run_bin, run_console_script

CHECK_COMMANDS = [c for c in COMMANDS if c != "cronchecks"]
BAD_INPUTS = [
    ["--no-such-option-xyz"],
    ["-w", "not-a-range", "-c", "5"],
    ["--format", "json", "--timeout", "-1"],
    ["--timeout", "soon"],
    ["--timeout-result", "maybe"],
    ["--format", "xml"],
    ["-c", ""],
    ["-c", "10:5"],
]


def _assert_contract(done, command):
    assert 0 <= done.code <= 3, f"{command}: exit {done.code}"
    assert "Traceback" not in done.stdout + done.stderr
    if command != "cronchecks":
        assert done.code == 3, f"{command}: bad usage must be UNKNOWN, got {done.code}: {done.stdout}"
        assert done.stdout.strip(), f"{command}: the status line belongs on stdout"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("args", BAD_INPUTS, ids=lambda a: " ".join(a) or "none")
def test_console_scripts_answer_bad_input_with_unknown(command, args):
    done = run_console_script(command, *args)
    _assert_contract(done, command)
    if command != "cronchecks":
        assert len(done.stdout.strip().splitlines()) == 1
        label = command.removeprefix("check-").upper()
        if "json" in args:
            data = json.loads(done.stdout)
            assert data["status"] == "UNKNOWN" and data["code"] == 3 and data["label"] == label
        else:
            assert done.stdout.startswith(f"{label} UNKNOWN - ")


@pytest.mark.parametrize("command", COMMANDS)
def test_bin_executables_run_from_the_checkout(command):
    done = run_bin(command, "--no-such-option-xyz")
    _assert_contract(done, command)
    assert "no such option" in done.stdout
    version = run_bin(command, "--version")
    assert version.code == 0 and __version__ in version.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_windows_twins_run_the_one_launcher_as_their_own_name(command):
    twin = ROOT / "bin" / f"{command}.cmd"
    text = twin.read_bytes()
    assert b"\r\n" in text and b'"%~dp0cronchecks"' in text and b"ERRORLEVEL" in text
    assert b'set "CRONCHECKS_LAUNCH_AS=%~n0"' in text  # %~n0: the .cmd file's own name
    # What the twin does on Windows, done here: the launcher told its name by the variable.
    done = subprocess.run([sys.executable, str(ROOT / "bin" / "cronchecks"), "--no-such-option-xyz"],
                          capture_output=True, text=True, env={**os.environ, "CRONCHECKS_LAUNCH_AS": command})
    label = "CRONCHECKS" if command == "cronchecks" else command.removeprefix("check-").upper()
    assert done.returncode == 3
    assert done.stdout.startswith(f"{label} UNKNOWN - no such option"), done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_and_version_exit_zero(command):
    done = run_console_script(command, "--help")
    assert done.code == 0 and "Usage" in done.stdout
    short = run_console_script(command, "-h")
    assert short.code == 0 and short.stdout == done.stdout
    version = run_console_script(command, "-V")
    assert version.code == 0 and version.stdout.strip() == f"cronchecks {__version__}"


def test_cronchecks_subcommand_is_the_same_command(tmp_path):
    beat = tmp_path / "b"
    beat.write_text("")
    alone = run_console_script("check-heartbeat", "--file", str(beat), "-c", "5m")
    via = run_console_script("cronchecks", "heartbeat", "--file", str(beat), "-c", "5m")
    assert alone.code == via.code == 0
    assert alone.first_line.split(" | ")[0].rsplit(" ", 3)[0] == via.first_line.split(" | ")[0].rsplit(" ", 3)[0]
    bad = run_console_script("cronchecks", "heartbeat", "-w", "junk")
    assert bad.code == 3 and bad.stdout.startswith("HEARTBEAT UNKNOWN - invalid -w/--warning")


def test_label_option_renames_the_line(tmp_path):
    beat = tmp_path / "b"
    beat.write_text("")
    done = run_console_script("check-heartbeat", "--file", str(beat), "-c", "5m", "--label", "NIGHTLY_BACKUP")
    assert done.first_line.startswith("NIGHTLY_BACKUP OK - ")


def test_traceback_only_with_vvv(tmp_path):
    # A bug in a check (here: a check function that is not one, so calling it raises
    # TypeError) is one UNKNOWN line; the traceback goes to stderr only with -vvv.
    script = textwrap.dedent("""
        import sys
        from cronchecks.core import registry
        registry.CHECKS["heartbeat"] = registry.CHECKS["heartbeat"]._replace(function="builtins:divmod")
        from cronchecks.cli import check_main
        sys.exit(check_main("heartbeat"))
    """)
    quiet = subprocess.run([sys.executable, "-c", script, "--file", "/x", "-c", "1m"], capture_output=True, text=True)
    assert quiet.returncode == 3
    assert quiet.stdout.startswith("HEARTBEAT UNKNOWN - internal error: ")
    assert "Traceback" not in quiet.stderr
    loud = subprocess.run([sys.executable, "-c", script, "--file", "/x", "-c", "1m", "-vvv"], capture_output=True,
                          text=True)
    assert loud.returncode == 3 and "Traceback" in loud.stderr


def test_timeout_ends_the_child_process_tree(tmp_path):
    """A check that started a subprocess tree and hangs: the timeout ends the whole tree."""
    marker = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import subprocess, sys, time, os
        from cronchecks.core.execute import execute, end_child_processes
        from cronchecks.core.result import Status
        from cronchecks.core.runtime import Runtime
        def hanging_check(options, runtime):
            child = subprocess.Popen([sys.executable, "-c",
                "import subprocess, sys, time;"
                " g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
                "open({str(marker)!r}, 'w').write(str(g.pid)); time.sleep(60)"])
            with open({str(marker)!r} + ".child", "w") as f:
                f.write(str(child.pid))
            time.sleep(60)
        outcome = execute(hanging_check, None, Runtime(), 1.0, Status.CRITICAL)
        print(outcome.result.status.name, outcome.timed_out)
        end_child_processes()
        os._exit(int(outcome.result.status))
    """)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stdout.strip() == "CRITICAL True"
    assert time.monotonic() - started < 10
    import psutil

    pids = [int(marker.read_text()), int((tmp_path / "pids.child").read_text())]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"
                                              for p in pids):
        time.sleep(0.1)
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_no_output_change_under_no_color_and_pipes(tmp_path):
    beat = tmp_path / "b"
    beat.write_text("")
    done = run_console_script("check-heartbeat", "--file", str(beat), "-c", "5m", env={"NO_COLOR": "1"})
    assert "\x1b[" not in done.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only: closing stdout early")
def test_a_closed_stdout_does_not_crash(tmp_path):
    beat = tmp_path / "b"
    beat.write_text("")
    proc = subprocess.Popen([str(VENV_BIN / "check-heartbeat"), "--file", str(beat), "-c", "5m"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 1, 2, 3)
    assert b"Traceback" not in err


def test_the_file_heartbeat_path_imports_nothing_heavy(tmp_path):
    """Start-up is the main cost of a check: the --file path must not load the network/UI stack."""
    beat = tmp_path / "b"
    beat.write_text("")
    script = textwrap.dedent(f"""
        import contextlib, io, sys
        from cronchecks.cli import check_main
        with contextlib.redirect_stdout(io.StringIO()):
            check_main("heartbeat", ["--file", {str(beat)!r}, "-w", "5m", "-c", "15m"])
        print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}})))
    """)
    loaded = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout.split())
    assert "cronchecks" in loaded and "checks" not in loaded
    assert not loaded & {"requests", "rich", "psutil", "sqlalchemy", "jsonpath", "pydantic", "urllib3", "decimal"}


@pytest.mark.parametrize("command", CHECK_COMMANDS)
@pytest.mark.parametrize("label", ["A\nHEARTBEAT CRITICAL - forged", "A\rB", "A\x1eB", "A\u2028B", "A\x1b[31mB"])
def test_a_label_can_never_forge_a_second_status_line(command, label):
    """Control characters in a label are replaced: the first line is always one line, bad usage or not."""
    for args in (["--label", label, "-w", "garbage"], ["--label", label, "--no-such-option"]):
        done = run_console_script(command, *args)
        assert done.code == 3
        assert len(done.stdout.split("\n")) == 2 and done.stdout.endswith("\n"), repr(done.stdout)
        assert "\x1b" not in done.stdout and " UNKNOWN - " in done.stdout


def test_a_timeout_beyond_what_the_platform_can_wait_is_as_long_as_it_takes(tmp_path):
    beat = tmp_path / "b"
    beat.write_text("")
    done = run_console_script("check-heartbeat", "--file", str(beat), "-c", "1d", "-t", "999999999d")
    assert done.code == 0 and done.first_line.startswith("HEARTBEAT OK - "), done.stdout
