"""Healthchecks pings that survive a blip: retries, the outbox, a hanging server, the server's body limit.

The server is a small healthchecks-style one written here, on loopback: it can refuse the first
tries (503, or a dropped connection), hang, advertise a Ping-Body-Limit, and it records every ping
that it accepted.
"""

from __future__ import annotations

import re
import socket
import sys
import textwrap
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.alerting.channels.ping import Pinger, body_bytes, fit_body
from tests.conftest import run_console_script

PING_PATH = "/ping/0a1b2c3d-0000-4000-8000-00000000beef"


class Healthchecks:
    """A healthchecks-style ping endpoint on 127.0.0.1: `fail_first` tries answered with `failure`, then 200."""

    def __init__(self, *, fail_first: int = 0, failure: str = "503", body_limit: int | None = None,
                 hang: bool = False, port: int = 0) -> None:
        self.fail_first, self.failure, self.body_limit, self.hang = fail_first, failure, body_limit, hang
        self.tries = 0
        self.pings: list[dict] = []  # what was accepted: path, kind, rid, body
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.hang:
                    outer.release.wait(60)
                    return
                with outer.lock:
                    outer.tries += 1
                    failing = outer.tries <= outer.fail_first
                    if not failing:
                        path, _, query = self.path.partition("?")
                        outer.pings.append({"path": path, "kind": path[len(PING_PATH):].lstrip("/") or "success",
                                            "rid": query.partition("rid=")[2], "body": body})
                if failing and outer.failure == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all: a reset, as a restarting proxy
                    return
                self.send_response(503 if failing else 200)
                if outer.body_limit is not None:
                    self.send_header("Ping-Body-Limit", str(outer.body_limit))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PING_PATH}"

    def __enter__(self) -> Healthchecks:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def job(tmp_path: Path, code: int = 0, lines: int = 1, name: str = "job") -> str:
    """A plain job printing `lines` numbered lines and exiting with `code`."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(f"""
        import sys
        print("JOB says hello")
        for n in range({lines} - 1):
            print(f"log line {{n:06d}} of the job's output")
        sys.exit({code})
    """))
    path.chmod(0o755)
    return str(path)


def wrap(tmp_path: Path, url: str, *command: str, notify_timeout: str = "10s"):
    return run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "job",
                              "--ping", url, "--notify-timeout", notify_timeout, "--", *command, timeout=60)


@pytest.mark.parametrize("failure", ["503", "drop"])
def test_no_ping_is_lost_over_a_blip(tmp_path, failure):
    # two failed tries of the start ping and, after the job, of the finish ping too
    with Healthchecks(fail_first=2, failure=failure) as hc:
        done = wrap(tmp_path, hc.url, job(tmp_path, code=3))
        assert done.code == 3 and "ping" not in done.stderr, done.stderr
        hc.fail_first = hc.tries + 2
        again = wrap(tmp_path, hc.url, job(tmp_path))
        assert again.code == 0 and "ping" not in again.stderr, again.stderr
    assert hc.tries == 8  # 2 refused + start, finish; 2 refused + start, finish
    assert [ping["kind"] for ping in hc.pings] == ["start", "3", "start", "success"]
    assert hc.pings[0]["rid"] == hc.pings[1]["rid"] != hc.pings[2]["rid"] == hc.pings[3]["rid"]
    assert uuid.UUID(hc.pings[0]["rid"])
    assert hc.pings[1]["body"] == b"JOB says hello\n"


def test_a_finish_ping_that_still_fails_is_delivered_by_the_next_run(tmp_path, closed_port):
    url = f"http://127.0.0.1:{closed_port}{PING_PATH}"
    first = wrap(tmp_path, url, job(tmp_path, code=2), notify_timeout="1s")
    assert first.code == 2
    assert "kept in the outbox for the next run" in first.stderr and "ping" in first.stderr
    assert PING_PATH not in first.stderr  # the URL holds the check's key: never shown
    with Healthchecks(port=closed_port) as hc:
        second = wrap(tmp_path, url, job(tmp_path))
    assert second.code == 0 and "kept in the outbox" not in second.stderr, second.stderr
    # run 1's fail ping comes first (the outbox is oldest first), then run 2's own pings
    assert [ping["kind"] for ping in hc.pings] == ["start", "2", "success"]
    assert hc.pings[1]["rid"] != hc.pings[2]["rid"] == hc.pings[0]["rid"]
    assert hc.pings[1]["body"] == b"JOB says hello\n"


def test_a_hanging_ping_server_holds_true_no_longer_than_the_notify_timeout(tmp_path):
    started = time.monotonic()
    plain = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "plain"), "--", "true")
    baseline = time.monotonic() - started
    assert plain.code == 0
    with Healthchecks(hang=True) as hc:
        started = time.monotonic()
        done = wrap(tmp_path, hc.url, "true", notify_timeout="2s")
        elapsed = time.monotonic() - started
    assert done.code == 0 and "kept in the outbox for the next run" in done.stderr
    assert elapsed <= baseline + 2 + 1, f"{elapsed:.2f} s (cronchecks run -- true alone: {baseline:.2f} s)"


def test_the_body_respects_the_servers_limit_and_says_what_was_cut(tmp_path):
    with Healthchecks(body_limit=1000) as hc:  # said in answer to the start ping
        done = wrap(tmp_path, hc.url, job(tmp_path, code=1, lines=500))
    assert done.code == 1
    body = hc.pings[1]["body"]
    output = "JOB says hello\n" + "".join(f"log line {n:06d} of the job's output\n" for n in range(499))
    assert len(body) <= 1000
    first, marker, *rest = body.decode().splitlines(keepends=True)
    assert first == "JOB says hello\n"  # the status line stays
    said = re.fullmatch(r"\[\.\.\. (\d+) bytes of output cut to fit the ping server's limit \.\.\.\]\n", marker)
    assert said, marker
    cut = int(said[1])
    assert rest and all(re.fullmatch(r"log line \d{6} of the job's output\n", line) for line in rest)  # whole lines
    assert "".join(rest) == output[-len("".join(rest)):] and rest[-1] == "log line 000498 of the job's output\n"
    assert cut == len(output) - len(first) - len("".join(rest))


def test_a_command_ended_by_a_signal_pings_its_shell_exit_code(tmp_path):
    path = tmp_path / "killed"
    path.write_text(f"#!{sys.executable}\nimport os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    path.chmod(0o755)
    with Healthchecks() as hc:
        done = wrap(tmp_path, hc.url, str(path))
    assert done.code == 143
    assert [ping["kind"] for ping in hc.pings] == ["start", "143"]  # not /fail: healthchecks shows the code


def test_pinger_retries_inside_its_timeout_and_gives_up_at_it():
    with Healthchecks(fail_first=3) as hc:
        pinger = Pinger(hc.url, {})
        pinger.finish(str(uuid.uuid4()), 0, "fine\n", timeout=5)
        assert hc.tries == 4 and [ping["kind"] for ping in hc.pings] == ["success"]
        hc.fail_first = 1000
        started = time.monotonic()
        from cronchecks.alerting.channels.base import DeliveryError

        with pytest.raises(DeliveryError, match="HTTP 503") as caught:
            pinger.finish(str(uuid.uuid4()), 0, "fine\n", timeout=1)
        assert caught.value.retryable and time.monotonic() - started < 1.5


@given(st.text(max_size=3000), st.integers(0, 2000))
def test_a_cut_body_always_fits_and_counts_what_it_left_out(text, limit):
    head, tail, cut = fit_body("", text, 0, limit)
    body = body_bytes(head, tail, cut, limit)
    assert len(body) <= limit
    whole = len(text.encode("utf-8", "replace"))
    if whole <= limit:
        assert body == text.encode("utf-8", "replace") and cut == 0
    else:
        assert cut == whole - len((head + tail).encode("utf-8", "replace")) > 0
        assert text.endswith(tail) and text.startswith(head)
    again = fit_body(head, tail, cut, limit // 2)  # a smaller limit learned later: cut more, count all
    assert len(body_bytes(*again, limit // 2)) <= limit // 2
    assert again[2] >= cut
