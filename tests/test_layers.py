"""The rooms of checks/ keep to their layers: import-linter's contracts in pyproject.toml hold."""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT, VENV_BIN


def test_import_contracts_are_kept() -> None:
    # Known breaches are listed in the contracts' ignore_imports, each with the branch that removes it;
    # once an import is gone, lint-imports fails on the stale line ("No matches for ignored import"), so
    # the line goes with the import.
    lint_imports = VENV_BIN / "lint-imports"
    assert lint_imports.exists() or lint_imports.with_suffix(".exe").exists(), (
        "lint-imports is not installed: pip install -e '.[test]'"
    )
    done = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    report = done.stdout[done.stdout.find("Contracts"):] + done.stderr
    assert done.returncode == 0, report
    assert "0 broken" in done.stdout, report
