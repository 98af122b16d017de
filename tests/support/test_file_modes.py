"""Files made by checks running in threads get their modes on the file itself: no check sets the umask."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import VENV_BIN

CHECKS = 16


def test_sixteen_suite_checks_creating_files_at_once_get_the_right_modes(tmp_path):
    logs, manifests = tmp_path / "logs", tmp_path / "manifests"
    logs.mkdir()
    manifests.mkdir()
    tables = []
    for number in range(CHECKS):
        (logs / f"{number}.log").write_text("ERROR one\n" * 100)
        tables.append(f"""
            [[check]]
            name = "log-{number}"
            type = "log"
            files = ["{logs}/{number}.log"]
            pattern = "ERROR"
            state = "{logs}/{number}.state"
            from-start = true
            warning = "1000"
            critical = "1000"

            [[check]]
            name = "manifest-{number}"
            type = "integrity"
            create = true
            manifest = "{manifests}/{number}.sha256"
            paths = ["{logs}/{number}.log"]
        """)
    suite = tmp_path / "suite.toml"
    suite.write_text(textwrap.dedent("".join(tables)))
    script = (f"import os, sys; os.umask(0o027); os.execv({str(VENV_BIN / 'cronchecks')!r}, "
              f"['cronchecks', 'suite', '--jobs', '32', '--state-dir', {str(tmp_path / 'state')!r}, {str(suite)!r}])")
    for _ in range(3):  # a race shows itself only now and then: give it a few chances
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        for number in range(CHECKS):
            assert (manifests / f"{number}.sha256").stat().st_mode & 0o777 == 0o640  # 0666 less the umask 027
            assert (logs / f"{number}.state").stat().st_mode & 0o777 == 0o600  # private, whatever the umask
    assert not list(tmp_path.rglob("*.tmp")), "temporary files left behind"
