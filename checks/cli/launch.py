"""Start a command from a git checkout (bin/), with the checkout's .venv if deps are missing."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def launch(command: str) -> None:
    """Run `cronchecks` or `check-NAME` (the name bin/ was called by) and exit with its code."""
    command = Path(command).stem if command.lower().endswith((".py", ".cmd", ".exe")) else command
    try:
        import typer  # noqa: F401  (the probe: are the dependencies importable here?)
    except ImportError:
        _reexec_in_checkout_venv()
        label = "CRONCHECKS" if command == "cronchecks" else command.removeprefix("check-").upper()
        print(f"{label} UNKNOWN - the dependencies are not installed for {sys.executable}: "
              f"pip install -e {Path(__file__).resolve().parents[2]}")
        sys.exit(3)
    from cronchecks import cli
    from cronchecks.core.registry import CHECKS

    if command.startswith("check-") and command.removeprefix("check-") in CHECKS:
        sys.exit(cli.check_main(command.removeprefix("check-")))
    if command != "cronchecks":
        print(f"CRONCHECKS UNKNOWN - bin/ has no command named {command!r} "
              f"(cronchecks, {', '.join('check-' + name for name in CHECKS)})")
        sys.exit(3)
    sys.exit(cli.main())


def _reexec_in_checkout_venv() -> None:
    # bin/ is often run with whatever python3 is first on PATH; a .venv made in the
    # checkout (as the README's set-up does) has the dependencies, so use it.
    root = Path(__file__).resolve().parents[2]
    for candidate in (root / ".venv" / "bin" / "python", root / ".venv" / "Scripts" / "python.exe"):
        # Compare prefixes, not executables: a venv's python is a symlink to the base one.
        if candidate.is_file() and Path(sys.prefix).resolve() != (root / ".venv").resolve():
            if os.environ.get("CRONCHECKS_REEXEC") == "1":
                return  # already tried once: avoid a loop
            os.environ["CRONCHECKS_REEXEC"] = "1"
            os.execv(str(candidate), [str(candidate), sys.argv[0], *sys.argv[1:]])
