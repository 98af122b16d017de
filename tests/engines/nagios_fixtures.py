"""Nagios, nsca and nrpe for the tests: configured in a temp folder, started in the foreground, read back.

Nothing here reads or writes the system's /etc/nagios4, /etc/nagios or its services: each daemon gets
a main config of its own, made by the test, with its state, logs and command file in tmp.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.daemon_fixtures import Daemon, free_port, port_open, require_program

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
BIN = Path(sys.executable).parent  # this checkout's venv: check-http, cronchecks, ...
PLUGINS = Path("/usr/lib/nagios/plugins")
NAGIOS = "/usr/sbin/nagios4"
NSCA = "/usr/sbin/nsca"
NRPE = "/usr/sbin/nrpe"
CHECK_NRPE = str(PLUGINS / "check_nrpe")

# What the examples lean on and every Nagios install has (its sample templates.cfg, cut down):
# a 24x7 time period, one contact, and the generic host and service templates.
BASE_OBJECTS = """
define timeperiod {
    timeperiod_name 24x7
    alias           always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define command {
    command_name notify-nobody
    command_line /bin/true
}
define command {
    command_name check-host-alive
    command_line /bin/true
}
define contact {
    contact_name                  nagiosadmin
    service_notification_period   24x7
    host_notification_period      24x7
    service_notification_options  n
    host_notification_options     n
    service_notification_commands notify-nobody
    host_notification_commands    notify-nobody
}
define contactgroup {
    contactgroup_name admins
    members           nagiosadmin
}
define host {
    name                  generic-host
    register              0
    check_command         check-host-alive
    max_check_attempts    1
    check_period          24x7
    notification_period   24x7
    notification_interval 0
    contact_groups        admins
}
define service {
    name                  generic-service
    register              0
    max_check_attempts    1
    check_interval        5
    retry_interval        1
    check_period          24x7
    notification_period   24x7
    notification_interval 0
    contact_groups        admins
    active_checks_enabled 1
    passive_checks_enabled 1
}
"""


def nagios_main_config(folder: Path, cfg_files: list[Path]) -> Path:
    """A nagios.cfg whose state all lives in `folder`, quick enough for a test: 1 s time unit, 1 s reaper."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkresults").mkdir(exist_ok=True)
    base = folder / "base.cfg"
    base.write_text(BASE_OBJECTS)
    (folder / "resource.cfg").write_text(f"$USER1$={PLUGINS}\n$USER2$={BIN}\n")
    lines = [
        f"log_file={folder}/nagios.log",
        f"cfg_file={base}",
        *(f"cfg_file={path}" for path in cfg_files),
        f"object_cache_file={folder}/objects.cache",
        f"precached_object_file={folder}/objects.precache",
        f"resource_file={folder}/resource.cfg",
        f"status_file={folder}/status.dat",
        "status_update_interval=1",
        # The tests run as whoever runs them (root in CI): Nagios keeps that user.
        f"nagios_user={_user()}",
        f"nagios_group={_group()}",
        "check_external_commands=1",
        f"command_file={folder}/nagios.cmd",
        f"lock_file={folder}/nagios.lock",
        f"temp_file={folder}/nagios.tmp",
        f"temp_path={folder}",
        f"check_result_path={folder}/checkresults",
        f"query_socket={folder}/nagios.qh",
        "retain_state_information=0",
        f"state_retention_file={folder}/retention.dat",
        "interval_length=1",
        "check_result_reaper_frequency=1",
        "max_check_result_reaper_time=2",
        "service_freshness_check_interval=1",
        "check_service_freshness=1",
        "additional_freshness_latency=0",
        "accept_passive_service_checks=1",
        "execute_service_checks=1",
        "enable_notifications=0",
        "enable_flap_detection=0",
        "log_rotation_method=n",
        "log_passive_checks=1",
        "use_syslog=0",
        "enable_environment_macros=0",
        "service_check_timeout=30",
        "illegal_macro_output_chars=`~$&|'\"<>",
        "max_concurrent_checks=0",
        "check_workers=2",
    ]
    main = folder / "nagios.cfg"
    main.write_text("\n".join(lines) + "\n")
    return main


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _group() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def nagios_verify(main: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_program(NAGIOS, "nagios4-core"), "-v", str(main)], capture_output=True,
                          text=True, timeout=60)


class Nagios:
    """A nagios4 process on a test-made config; commands through its FIFO, state from status.dat."""

    def __init__(self, folder: Path, cfg_files: list[Path]) -> None:
        self.folder = folder
        self.main = nagios_main_config(folder, cfg_files)
        self.command_file = folder / "nagios.cmd"
        self.status_file = folder / "status.dat"
        self.daemon = Daemon("nagios4", [require_program(NAGIOS, "nagios4-core"), str(self.main)], folder)

    def start(self) -> Nagios:
        verified = nagios_verify(self.main)
        assert verified.returncode == 0, verified.stdout[-3000:]
        self.daemon.start(lambda: self.command_file.exists() and self.status_file.exists(), within=30)
        return self

    def stop(self) -> None:
        self.daemon.stop()

    def command(self, text: str) -> None:
        """One external command, `[now] TEXT`."""
        handle = os.open(self.command_file, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(handle, f"[{int(time.time())}] {text}\n".encode())
        finally:
            os.close(handle)

    def force_check(self, host: str, service: str) -> None:
        self.command(f"SCHEDULE_FORCED_SVC_CHECK;{host};{service};{int(time.time())}")

    def services(self) -> dict[tuple[str, str], dict[str, str]]:
        """Every servicestatus block of status.dat, by (host, service)."""
        try:
            text = self.status_file.read_text(errors="replace")
        except OSError:
            return {}
        found = {}
        for block in re.findall(r"servicestatus \{\n(.*?)\n\s*\}", text, re.S):
            fields = {}
            for line in block.splitlines():
                key, _, value = line.strip().partition("=")
                fields[key] = value
            found[(fields.get("host_name", ""), fields.get("service_description", ""))] = fields
        return found

    def wait_service(self, host: str, service: str, condition, within: float = 20.0) -> dict[str, str]:
        """The service's status once `condition(fields)` holds (status.dat is rewritten every second)."""
        seen: dict[str, dict[str, str]] = {}

        def ready() -> bool:
            fields = self.services().get((host, service))
            if fields is None:
                return False
            seen["last"] = fields
            return bool(condition(fields))

        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if ready():
                return seen["last"]
            time.sleep(0.1)
        pytest.fail(f"{host}/{service} not as expected in status.dat within {within:g}s; last seen: "
                    f"{seen.get('last')}\nNagios' log:\n{self.log()[-3000:]}")

    def log(self) -> str:
        try:
            return (self.folder / "nagios.log").read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Nagios:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Nsca:
    """An nsca daemon (single process, foreground) writing the results it takes into a plain file."""

    def __init__(self, folder: Path, *, method: int = 1, password: str | None = "s3cret") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.command_file = folder / "nagios.cmd"
        self.command_file.touch()
        config = folder / "nsca.cfg"
        lines = [f"pid_file={folder}/nsca.pid", f"server_port={self.port}", "server_address=127.0.0.1",
                 "debug=1", f"command_file={self.command_file}", f"alternate_dump_file={folder}/nsca.dump",
                 "aggregate_writes=0", "append_to_file=1", "max_packet_age=30", f"decryption_method={method}"]
        if password is not None:
            lines.append(f"password={password}")
        config.write_text("\n".join(lines) + "\n")
        self.daemon = Daemon("nsca", [require_program(NSCA, "nsca"), "-f", "-c", str(config), "--single"], folder)

    def lines(self) -> list[str]:
        return self.command_file.read_text(errors="replace").splitlines()

    def __enter__(self) -> Nsca:
        self.daemon.start(port=self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.daemon.stop()


class Nrpe:
    """An nrpe daemon in the foreground on a loopback port, allowing 127.0.0.1, including `include` files.

    nrpe refuses to run as root (even with nrpe_user=root). When the tests run as root, it runs in
    a user namespace of its own where it is `nobody`, mapped onto the real user: it reads this
    checkout and the test's files as the test does, and binds the same loopback.
    """

    def __init__(self, folder: Path, includes: list[Path], *, command_timeout: int = 10,
                 extra: tuple[str, ...] = ()) -> None:
        import shutil

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        config = folder / "nrpe.cfg"
        lines = [f"pid_file={folder}/nrpe.pid", f"log_file={folder}/nrpe.log", "debug=1",
                 f"server_port={self.port}", "server_address=127.0.0.1", "allowed_hosts=127.0.0.1",
                 "dont_blame_nrpe=0", "allow_bash_command_substitution=0",
                 f"command_timeout={command_timeout}", "connection_timeout=30", *extra,
                 *(f"include={path}" for path in includes)]
        prefix: list[str] = []
        if os.getuid() == 0:
            unshare = shutil.which("unshare")
            if unshare is None:
                pytest.fail("nrpe refuses to run as root and util-linux's unshare is missing to run it as nobody")
            prefix = [unshare, "--user", "--map-user=65534", "--map-group=65534"]
        else:
            lines += [f"nrpe_user={_user()}", f"nrpe_group={_group()}"]
        config.write_text("\n".join(lines) + "\n")
        self.daemon = Daemon("nrpe", [*prefix, require_program(NRPE, "nagios-nrpe-server"), "-c", str(config), "-f"],
                             folder)

    def check(self, command: str, *args: str, timeout: int = 30) -> subprocess.CompletedProcess[str]:
        """check_nrpe -H 127.0.0.1 -p PORT -t TIMEOUT -c COMMAND: its exit code and output, as Nagios gets them."""
        argv = [require_program(CHECK_NRPE, "nagios-nrpe-plugin"), "-H", "127.0.0.1", "-p", str(self.port),
                "-t", str(timeout), "-c", command, *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10)

    def log(self) -> str:
        try:
            return (self.folder / "nrpe.log").read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Nrpe:
        self.daemon.start(lambda: port_open(self.port))
        return self

    def __exit__(self, *exc: object) -> None:
        self.daemon.stop()
