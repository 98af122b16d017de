"""A stand-in `systemctl` on PATH that answers from outputs recorded from a real systemd (tests/fixtures/systemctl)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.service.systemctl_recordings import FIXTURES

# No systemd runs as PID 1 on the machines these tests run on, so the real systemctl cannot
# answer. This one answers the two calls check-service makes, from real systemd 252 outputs:
# `show --property=LIST -- UNIT...` from each unit's full `systemctl show UNIT` recording,
# keeping the lines of the properties asked for in the recording's order, as systemctl does
# (test_the_stand_in_filters_as_systemctl_does compares it with a recorded call), and
# `list-units --state=failed ...` from its recording. It refuses any other call, and any call
# without LC_ALL=C and TZ=UTC, so the check's real subprocess call and parsers are what is tested.
FAKE_SYSTEMCTL = '''#!{python}
import os, sys

units = os.environ["UNITS"]
args = sys.argv[1:]
scope = "system"
if args[:1] == ["--user"]:
    args, scope = args[1:], "user"
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime_dir:
        sys.exit(sys.stderr.write(open(os.path.join(units, "user-no-bus.stderr")).read()) and 1)
    with open(os.path.join(units, "calls"), "a") as calls:
        calls.write("XDG_RUNTIME_DIR=" + runtime_dir + "\\n")
if os.environ.get("LC_ALL") != "C" or os.environ.get("TZ") != "UTC":
    sys.exit("LC_ALL=C and TZ=UTC are missing")
if os.path.exists(os.path.join(units, "no-systemd")):
    sys.stderr.write(open(os.path.join(units, "no-systemd")).read())
    sys.exit(1)
with open(os.path.join(units, "calls"), "a") as calls:
    calls.write(" ".join([scope, *args]) + "\\n")
if args == ["list-units", "--state=failed", "--no-legend", "--plain", "--full", "--all", "--no-pager"]:
    sys.stdout.write(open(os.path.join(units, scope, "list-units-failed")).read())
    sys.exit(0)
if len(args) < 4 or args[0] != "show" or not args[1].startswith("--property=") or args[2] != "--":
    sys.exit("not a call check-service makes: " + " ".join(args))
wanted = set(args[1].removeprefix("--property=").split(","))
blocks = []
for unit in args[3:]:
    with open(os.path.join(units, scope, unit)) as recording:
        lines = [line for line in recording.read().splitlines() if line.partition("=")[0] in wanted]
    blocks.append("".join(line + "\\n" for line in lines))
sys.stdout.write("\\n".join(blocks))
'''


class Systemctl:
    """`systemctl[unit] = recording` says what the stand-in answers for a unit (`user[unit]` for --user)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        bindir = root / "bin"
        bindir.mkdir(parents=True)
        for scope in ("system", "user"):
            (root / "units" / scope).mkdir(parents=True)
        shutil.copy(FIXTURES / "user-no-bus.stderr", root / "units" / "user-no-bus.stderr")
        script = bindir / "systemctl"
        script.write_text(FAKE_SYSTEMCTL.replace("{python}", sys.executable))
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.env = {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", "UNITS": str(root / "units"),
                    "XDG_RUNTIME_DIR": "/run/user/1000"}
        self.user = _Scope(root / "units" / "user", "user-")

    def __setitem__(self, unit: str, recording: str) -> None:
        shutil.copy(FIXTURES / recording, self.root / "units" / "system" / unit)

    def record(self, *units: str) -> None:
        """Answer for these units with their own recordings (show-UNIT.txt)."""
        for unit in units:
            self[unit] = f"show-{unit}.txt"

    def failed(self, recording: str = "list-units-failed.txt") -> None:
        shutil.copy(FIXTURES / recording, self.root / "units" / "system" / "list-units-failed")

    def no_systemd(self) -> None:
        shutil.copy(FIXTURES / "no-systemd.stderr", self.root / "units" / "no-systemd")

    def calls(self) -> list[str]:
        path = self.root / "units" / "calls"
        return path.read_text().splitlines() if path.exists() else []


class _Scope:
    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder, self.prefix = folder, prefix

    def __setitem__(self, unit: str, recording: str) -> None:
        shutil.copy(FIXTURES / recording, self.folder / unit)

    def record(self, *units: str) -> None:
        for unit in units:
            self[unit] = f"{self.prefix}show-{unit}.txt"

    def failed(self) -> None:
        shutil.copy(FIXTURES / f"{self.prefix}list-units-failed.txt", self.folder / "list-units-failed")


@pytest.fixture
def systemctl(tmp_path) -> Systemctl:
    """The stand-in systemctl on a PATH of its own (use `systemctl.env` as the check's environment)."""
    return Systemctl(tmp_path / "systemctl")
