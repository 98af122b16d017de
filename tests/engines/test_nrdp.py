"""NRDP: the request `cronchecks run` and `cronchecks suite` post, as NRDP documents it (token, cmd, JSONDATA).

Debian packages no NRDP server (it is PHP from Nagios Enterprises, outside the archive), so a
loopback HTTP receiver stands in for it here: it checks the documented request shape and
answers as NRDP does (`<result><status>0</status><message>OK</message>...`).
"""

from __future__ import annotations

import json
import subprocess
from urllib.parse import parse_qs

from tests.conftest import LoopbackHTTP, Reply
from tests.engines.nagios_fixtures import BIN
from tests.engines.test_nagios import machine_name

TOKEN = "t0ken-Secret"
OK = ("<?xml version='1.0'?>\n<result>\n  <status>0</status>\n  <message>OK</message>\n"
      "    <meta>\n       <output>1 checks processed.</output>\n    </meta>\n</result>\n")
BAD_TOKEN = "<?xml version='1.0'?>\n<result>\n  <status>-1</status>\n  <message>BAD TOKEN</message>\n</result>\n"


def cronchecks(*args, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "cronchecks"), *map(str, args)], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def submitted(server: LoopbackHTTP) -> list[dict]:
    found = []
    for request in server.requests:
        assert request["method"] == "POST"
        assert request["path"] == "/nrdp/"
        assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        form = {key: values[0] for key, values in parse_qs(request["body"].decode()).items()}
        assert form["token"] == TOKEN
        assert form["cmd"] == "submitcheck"
        found += json.loads(form["JSONDATA"])["checkresults"]
    return found


def test_run_posts_a_service_checkresult_as_nrdp_documents(tmp_path):
    with LoopbackHTTP() as server:
        server.routes["/nrdp/"] = Reply(200, OK, {"Content-Type": "text/xml"})
        done = cronchecks("run", "--name", "web", "--state-dir", tmp_path / "state", "--nrdp", f"{server.url}/nrdp/",
                          "--nagios", "--", "/bin/sh", "-c",
                          "echo 'WEB CRITICAL - down | time=3s;1;2;0'; echo 'refused'; exit 2",
                          env={"CRONCHECKS_NRDP_TOKEN": TOKEN})
        assert done.returncode == 2
        assert done.stderr == ""
        results = submitted(server)
    assert results == [{"checkresult": {"type": "service", "checktype": "1"}, "hostname": machine_name(),
                        "servicename": "web", "state": "2",
                        "output": "WEB CRITICAL - down|time=3s;1;2;0\nrefused"}]


def test_a_suite_posts_every_result_with_the_token_from_a_file(tmp_path):
    token_file = tmp_path / "nrdp.token"
    token_file.write_text(TOKEN + "\n")
    suite = tmp_path / "suite.toml"
    suite.write_text(f"""
[[check]]
name = "beat"
type = "heartbeat"
file = "{suite}"
critical = "5m"

[[check]]
name = "other"
type = "heartbeat"
file = "{tmp_path / 'absent'}"
critical = "5m"
""")
    with LoopbackHTTP() as server:
        server.routes["/nrdp/"] = Reply(200, OK)
        done = cronchecks("suite", suite, "--nrdp", f"{server.url}/nrdp/", "--host", "app1", "--state-dir",
                          tmp_path / "state", env={"CRONCHECKS_NRDP_TOKEN_FILE": str(token_file)})
        assert done.stderr == ""
        results = {result["servicename"]: result for result in submitted(server)}
    assert set(results) == {"beat", "other"}
    assert results["beat"]["hostname"] == "app1" and results["beat"]["state"] == "0"
    assert results["other"]["state"] in ("2", "3")


def test_a_bad_token_is_one_line_that_never_shows_the_token(tmp_path):
    with LoopbackHTTP() as server:
        server.routes["/nrdp/"] = Reply(200, BAD_TOKEN)
        done = cronchecks("run", "--name", "job", "--state-dir", tmp_path / "state", "--nrdp", f"{server.url}/nrdp/",
                          "--", "/bin/true", env={"CRONCHECKS_NRDP_TOKEN": TOKEN})
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1
    assert "NRDP refused the result: BAD TOKEN (check CRONCHECKS_NRDP_TOKEN)" in done.stderr
    assert TOKEN not in done.stderr


def test_a_server_error_keeps_the_result_for_the_next_run(tmp_path):
    with LoopbackHTTP() as server:
        server.routes["/nrdp/"] = Reply(503, "busy")
        done = cronchecks("run", "--name", "job", "--state-dir", tmp_path / "state", "--nrdp", f"{server.url}/nrdp/",
                          "--notify-timeout", "1s", "--", "/bin/true", env={"CRONCHECKS_NRDP_TOKEN": TOKEN})
        assert "HTTP 503" in done.stderr and "kept in the outbox" in done.stderr
        server.routes["/nrdp/"] = Reply(200, OK)
        again = cronchecks("run", "--name", "job", "--state-dir", tmp_path / "state", "--nrdp",
                           f"{server.url}/nrdp/", "--", "/bin/true", env={"CRONCHECKS_NRDP_TOKEN": TOKEN})
        assert again.stderr == ""
        assert len(submitted(server)) >= 3  # the failed one (tried within the budget), it again, and the new one


def test_an_answer_that_is_not_nrdps_is_said(tmp_path):
    with LoopbackHTTP() as server:
        server.routes["/nrdp/"] = Reply(200, "<html>login</html>")
        done = cronchecks("run", "--name", "job", "--state-dir", tmp_path / "state", "--nrdp", f"{server.url}/nrdp/",
                          "--", "/bin/true", env={"CRONCHECKS_NRDP_TOKEN": TOKEN})
    assert "the answer is not NRDP's" in done.stderr


def test_option_mistakes_are_one_unknown_line(tmp_path):
    for args, env, said in (
        (["--nrdp", "ftp://nagios/nrdp/"], {"CRONCHECKS_NRDP_TOKEN": TOKEN}, "invalid --nrdp ftp://nagios/nrdp/"),
        (["--nrdp", "http://127.0.0.1/nrdp/"], {}, "NRDP needs its token"),
    ):
        done = cronchecks("run", "--state-dir", tmp_path / "state", *args, "--", "/bin/true", env=env)
        assert done.returncode == 3, (args, done.stderr)
        assert done.stdout.count("\n") == 1 and said in done.stdout, (args, done.stdout)


def test_nrdps_json_answer_is_read_too():
    from cronchecks.alerting.channels.nrdp import answer_status

    assert answer_status('{"result": {"status": 0, "message": "OK"}}') == (0, "OK")
    assert answer_status('{"result": {"status": -1, "message": "BAD TOKEN"}}') == (-1, "BAD TOKEN")
    assert answer_status(OK) == (0, "OK")
    assert answer_status("nothing") == (None, "")
