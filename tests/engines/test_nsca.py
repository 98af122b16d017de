"""NSCA: results of `cronchecks suite` and `cronchecks run` sent to Debian's nsca daemon, read from its command file."""

from __future__ import annotations

import json
import re
import subprocess
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engines.nagios_fixtures import BIN, Nsca
from tests.engines.test_nagios import machine_name

LINE = re.compile(r"^\[(\d+)\] PROCESS_SERVICE_CHECK_RESULT;([^;]*);([^;]*);(\d);(.*)$")


def suite_file(tmp_path, perf: str = "x=1;2;3 t=0.5s;;;0") -> str:
    path = tmp_path / "suite.toml"
    script = f"echo 'WEB WARNING - slow | {perf}'; echo 'first detail'; printf '%s\\n' 'C:\\temp'; exit 1"
    path.write_text(f"""
[[check]]
name = "web"
type = "command"
argv = ["/bin/sh", "-c", {json.dumps(script)}]

[[check]]
name = "beat"
type = "heartbeat"
file = "{path}"
critical = "5m"
""")
    return str(path)


def cronchecks(*args, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "cronchecks"), *map(str, args)], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def results(nsca: Nsca, count: int) -> dict[str, tuple[str, str, str]]:
    """The results nsca wrote, once `count` have arrived (it writes a moment after the sender leaves)."""
    from tests.daemon_fixtures import wait_until

    wait_until(lambda: len(nsca.lines()) >= count, within=10, what=f"{count} results in nsca's command file")
    found = {}
    for line in nsca.lines():
        match = LINE.match(line)
        assert match, line
        found[match.group(3)] = (match.group(2), match.group(4), match.group(5))
    return found


def test_suite_results_arrive_in_nscas_command_file_with_state_output_and_perfdata(tmp_path):
    with Nsca(tmp_path / "nsca", password="s3cret") as nsca:
        done = cronchecks("suite", suite_file(tmp_path), "--nsca", f"127.0.0.1:{nsca.port}", "--state-dir",
                          tmp_path / "state", env={"CRONCHECKS_NSCA_PASSWORD": "s3cret"})
        assert done.returncode == 1
        assert done.stderr == ""
        got = results(nsca, 2)
    host, state, output = got["web"]
    assert host == machine_name()  # no --host: the name `hostname` prints
    assert state == "1"
    # nsca escapes line breaks and backslashes as Nagios undoes them
    assert output == "WEB WARNING - slow|x=1;2;3 t=0.5s;;;0\\nfirst detail\\nC:\\\\temp"
    assert got["beat"][1] == "0" and got["beat"][2].startswith("HEARTBEAT OK - ")


def test_the_password_can_come_from_a_file_and_run_sends_too(tmp_path):
    secret = tmp_path / "nsca.pw"
    secret.write_text("s3cret\n")
    with Nsca(tmp_path / "nsca", password="s3cret") as nsca:
        done = cronchecks("run", "--name", "backup", "--state-dir", tmp_path / "state", "--nsca",
                          f"127.0.0.1:{nsca.port}", "--host", "db1", "--", "/bin/sh", "-c", "echo copied; exit 4",
                          env={"CRONCHECKS_NSCA_PASSWORD_FILE": str(secret)})
        assert done.returncode == 4  # the job's own exit code, whatever the channel did
        assert done.stderr == ""
        got = results(nsca, 1)
    assert got["backup"] == ("db1", "2", "exit code 4: copied")


def test_no_password_speaks_none_to_an_nsca_without_encryption(tmp_path):
    with Nsca(tmp_path / "nsca", method=0, password=None) as nsca:
        done = cronchecks("suite", suite_file(tmp_path), "--nsca", f"127.0.0.1:{nsca.port}", "--state-dir",
                          tmp_path / "state")
        assert done.stderr == ""
        assert set(results(nsca, 2)) == {"web", "beat"}


def test_a_wrong_password_is_refused_and_said_in_one_line_per_result(tmp_path):
    with Nsca(tmp_path / "nsca", password="s3cret") as nsca:
        done = cronchecks("suite", suite_file(tmp_path), "--nsca", f"127.0.0.1:{nsca.port}", "--state-dir",
                          tmp_path / "state", env={"CRONCHECKS_NSCA_PASSWORD": "wrong"})
        assert done.returncode == 1  # the checks' state, not the channel's
        assert nsca.lines() == []  # nsca dropped them: the CRC did not match
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    for line in lines:
        assert "refused: the password or --nsca-encryption (xor) does not match nsca's" in line
        assert "wrong" not in line  # the password itself is never shown


def test_nsca_down_keeps_the_result_for_the_next_run(tmp_path):
    from tests.daemon_fixtures import free_port

    port = free_port()
    done = cronchecks("run", "--name", "job", "--state-dir", tmp_path / "state", "--nsca", f"127.0.0.1:{port}",
                      "--notify-timeout", "1s", "--", "/bin/true")
    assert done.returncode == 0
    assert "kept in the outbox for the next run" in done.stderr
    assert done.stderr.count("\n") == 1


def test_option_mistakes_are_one_unknown_line(tmp_path):
    for args, env, said in (
        (["--nsca", "127.0.0.1:5667", "--nsca-encryption", "3des"], {}, "invalid --nsca-encryption '3des'"),
        (["--nsca", "no port:x"], {}, "invalid --nsca 'no port:x'"),
        (["--nsca-encryption", "xor"], {}, "--nsca-encryption goes with --nsca"),
        (["--nsca", "127.0.0.1:5667", "--nsca-encryption", "none"], {"CRONCHECKS_NSCA_PASSWORD": "x"},
         "--nsca-encryption none sends no password"),
        (["--nsca", "127.0.0.1:5667"], {"CRONCHECKS_NSCA_PASSWORD_FILE": str(tmp_path / "absent")},
         "the NSCA password"),
    ):
        done = cronchecks("run", "--state-dir", tmp_path / "state", *args, "--", "/bin/true", env=env)
        assert done.returncode == 3, (args, done.stderr)
        assert done.stdout.count("\n") == 1 and said in done.stdout, (args, done.stdout)


@settings(max_examples=200, deadline=None)
@given(host=st.text(min_size=1, max_size=80), service=st.text(min_size=1, max_size=150),
       output=st.text(max_size=5000), code=st.integers(0, 3), stamp=st.integers(0, 2**32 - 1),
       iv=st.binary(min_size=128, max_size=128), password=st.binary(max_size=40),
       size=st.sampled_from([512, 4096]))
def test_the_data_packet_is_what_nsca_decodes(host, service, output, code, stamp, iv, password, size):
    """XOR undone as nsca does it gives a v3 packet whose CRC holds and whose fields are NUL-terminated."""
    from cronchecks.alerting.channels.nsca import data_packet, packet_layout, xor_encrypt

    clear = data_packet(host, service, code, output, stamp, output_size=size)
    layout = packet_layout(size)
    assert len(clear) == layout.size == (720 if size == 512 else 4304)
    sent = xor_encrypt(clear, iv, password)
    assert xor_encrypt(sent, iv, password) == clear  # XOR twice is the identity: nsca's decrypt
    version, crc, timestamp, return_code, host_field, service_field, output_field = layout.unpack(clear)
    assert (version, timestamp, return_code) == (3, stamp, code)
    blank = layout.pack(version, 0, timestamp, return_code, host_field, service_field, output_field)
    assert zlib.crc32(blank) == crc
    for field, text in ((host_field, host), (service_field, service), (output_field, output)):
        kept = field.split(b"\0", 1)[0]
        assert len(kept) < len(field)  # room for the NUL nsca relies on
        decoded = kept.decode("utf-8")  # never a broken character
        if "\0" not in text:
            assert text.startswith(decoded)


def test_the_same_lines_as_debians_send_nsca(tmp_path):
    """Differential: each result through send_nsca (nsca-client) and through our channel; nsca writes the same line."""
    from tests.daemon_fixtures import require_program, wait_until

    send_nsca = require_program("/usr/sbin/send_nsca", "nsca-client")
    from cronchecks.alerting.channels.nsca import NscaChannel

    samples = [("web1", "http", 0, "HTTP OK - 200 in 0.1 s|time=0.1s;1;3;0"),
               ("web1", "disk root", 1, "DISK WARNING - 91% used; / is nearly full|used=91%;90;95;0;100"),
               ("db-2.example.com", "backup", 2, "BACKUP CRITICAL - C:\\backup missing (ünïcödé)"),
               ("web1", "quiet", 3, "UNKNOWN - nothing"),
               ("web1", "log", 1, "LOG WARNING - 2 lines|matches=2;0;5\nERROR one\nERROR two")]
    config = tmp_path / "send_nsca.cfg"
    config.write_text("password=s3cret\nencryption_method=1\n")
    with Nsca(tmp_path / "nsca", password="s3cret") as nsca:
        # send_nsca's sets are separated by ETB (0x17), so an output may hold line breaks
        theirs_input = "\x17".join(f"{host}\t{service}\t{code}\t{output}" for host, service, code, output in samples)
        sent = subprocess.run([send_nsca, "-H", "127.0.0.1", "-p", str(nsca.port), "-c", str(config)],
                              input=theirs_input, capture_output=True, text=True, timeout=30)
        assert sent.returncode == 0, sent
        channel = NscaChannel("127.0.0.1", nsca.port, "xor", "s3cret")
        for host, service, code, output in samples:
            channel.send({"event": "run", "host": host, "check": service, "code": code, "plugin_output": output}, 5)
        wait_until(lambda: len(nsca.lines()) >= 2 * len(samples), within=10, what="both senders' lines")
        lines = [line.split("] ", 1)[1] for line in nsca.lines()]
    assert len(lines) == 2 * len(samples)
    assert lines[len(samples):] == lines[:len(samples)]


def test_a_10_kb_output_fits_nagios_line_with_its_perfdata_whole_and_defaults_name_the_server(tmp_path):
    with Nsca(tmp_path / "nsca", password="s3cret") as nsca:
        suite = tmp_path / "suite.toml"
        script = ("echo 'BIG WARNING - long | a=1;2;3 z=99%;80;90;0;100'; yes 'a line of long output' | head -500;"
                  " exit 1")
        suite.write_text(f'[defaults]\nnsca = "127.0.0.1:{nsca.port}"\n\n'
                         f'[[check]]\nname = "big"\ntype = "command"\nargv = ["/bin/sh", "-c", {json.dumps(script)}]\n')
        done = cronchecks("suite", suite, "--state-dir", tmp_path / "state", env={"CRONCHECKS_NSCA_PASSWORD": "s3cret"})
        assert done.returncode == 1 and done.stderr == ""
        got = results(nsca, 1)
        [line] = nsca.lines()
    assert len(line.encode()) + 1 <= 4096  # the line nsca wrote into the command file, newline included
    output = got["big"][2]
    assert output.startswith("BIG WARNING - long|a=1;2;3 z=99%;80;90;0;100\\na line of long output\\n")
    assert "characters cut" in output and output.endswith("\\na line of long output")
