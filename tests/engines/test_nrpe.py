"""NRPE: the example's fixed commands run by Debian's nrpe and read by check_nrpe, as Nagios would get them."""

from __future__ import annotations

import re
import shlex
import subprocess
import time

import pytest

from tests.conftest import LoopbackHTTP, Reply
from tests.engines.nagios_fixtures import BIN, EXAMPLES, Nrpe

EXAMPLE = EXAMPLES / "nrpe" / "cronchecks.cfg"


def example_commands() -> dict[str, str]:
    found = {}
    for line in EXAMPLE.read_text().splitlines():
        match = re.match(r"^command\[([^\]]+)\]=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_example_commands_are_fixed_and_within_nrpes_rules():
    commands = example_commands()
    assert set(commands) == {"cronchecks_http_health", "cronchecks_backup_heartbeat", "cronchecks_app_errors",
                             "cronchecks_app_port", "cronchecks_release_files"}
    for name, line in commands.items():
        assert "$ARG" not in line, name  # Debian's nrpe takes no arguments
        words = shlex.split(line)
        assert words[0].startswith("/opt/cronchecks/bin/check-"), name
        assert "-t" in words and words[words.index("-t") + 1] == "20s", name  # below command_timeout and -t 30


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The example's targets made real on loopback and in tmp, and nrpe serving the example with them."""
    folder = tmp_path_factory.mktemp("nrpe")
    beat = folder / "db.beat"
    beat.write_text("ok\n")
    log = folder / "errors.log"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    log.write_text(f"{stamp} ERROR: disk full\n{stamp} INFO fine\n")
    root = folder / "app"
    root.mkdir()
    (root / "index.html").write_text("hello\n")
    manifest = folder / "app.sha256"
    subprocess.run([BIN / "check-integrity", "--create", "--root", root, "-m", manifest, "."], check=True,
                   capture_output=True)
    http = LoopbackHTTP().__enter__()
    http.routes["/health"] = Reply(200, "ok")
    http.routes["/slow"] = Reply(200, "late", delay=6)
    text = EXAMPLE.read_text()
    for old, new in (("/opt/cronchecks/bin", str(BIN)), ("http://127.0.0.1:8000", http.url),
                     ("127.0.0.1:8000", f"127.0.0.1:{http.server.server_port}"), ("/var/backups/db.beat", str(beat)),
                     ("/var/log/app/errors.log", str(log)), ("/var/lib/cronchecks/app.sha256", str(manifest)),
                     ("/srv/app", str(root))):
        text = text.replace(old, new)
    included = folder / "cronchecks.cfg"
    # Two commands of the test's own, for the timeouts: ours below NRPE's, and none at all.
    text += (f"\ncommand[slow_with_our_timeout]={BIN}/check-http -t 1s {http.url}/slow\n"
             "command[slow_without]=/bin/sleep 10\n")
    included.write_text(text)
    with Nrpe(folder / "nrpe", [included], command_timeout=3) as nrpe:
        yield nrpe, included
    http.__exit__(None, None, None)


def test_each_example_check_through_check_nrpe_keeps_its_exit_code_and_output(host):
    nrpe, included = host
    commands = {name: line for name, line in re.findall(r"^command\[([^\]]+)\]=(.*)$", included.read_text(), re.M)
                if name.startswith("cronchecks_")}
    expected_states = {"cronchecks_http_health": 0, "cronchecks_backup_heartbeat": 0, "cronchecks_app_errors": 1,
                       "cronchecks_app_port": 0, "cronchecks_release_files": 0}
    for name, line in commands.items():
        direct = subprocess.run(line, shell=True, capture_output=True, text=True, timeout=30)
        through = nrpe.check(name)
        assert through.returncode == direct.returncode == expected_states[name], (name, through, nrpe.log()[-2000:])
        # the same status line and perfdata labels (a timing in them differs from run to run)
        assert _shape(through.stdout) == _shape(direct.stdout), name
        assert through.stdout.count("\n") == direct.stdout.count("\n"), name  # the long output too


def _shape(text: str) -> tuple[str, list[str]]:
    first = text.splitlines()[0]
    status, _, rest = first.partition(" - ")
    return status, re.findall(r"([^\s=|]+)=", rest.partition("|")[2])


def test_arguments_are_refused_by_debians_nrpe(host):
    nrpe, _ = host
    refused = nrpe.check("cronchecks_app_port", "-a", "127.0.0.1:22")
    assert refused.returncode == 3
    assert "Receive header underflow" in refused.stdout
    assert "Request contained command arguments" in nrpe.log()


def test_arguments_stay_refused_with_dont_blame_nrpe(tmp_path):
    cfg = tmp_path / "echo.cfg"
    cfg.write_text("command[echo]=/bin/echo $ARG1$\n")
    with Nrpe(tmp_path / "nrpe", [cfg], extra=("dont_blame_nrpe=1",)) as nrpe:
        refused = nrpe.check("echo", "-a", "hello")
    assert refused.returncode == 3, refused


def test_our_timeout_below_nrpes_gives_our_own_line(host):
    nrpe, _ = host
    ours = nrpe.check("slow_with_our_timeout")
    assert ours.returncode == 2
    assert ours.stdout == "HTTP CRITICAL - timed out after 1.0 s\n"


def test_without_a_timeout_of_ours_nrpe_kills_the_command_and_says_only_that(host):
    nrpe, _ = host
    bare = nrpe.check("slow_without")
    assert bare.returncode == 3
    assert bare.stdout.strip() == "NRPE: Command timed out after 3 seconds"


def test_check_nrpes_own_timeout_below_the_command_is_critical(host):
    nrpe, _ = host
    short = nrpe.check("slow_without", timeout=1)
    assert short.returncode == 2
    assert "Socket timeout after 1 seconds" in short.stdout
