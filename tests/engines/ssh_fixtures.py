"""A real sshd on a loopback port for the remote-host tests: its own host key, config and authorized key in tmp.

The client side is an ssh config file in the same folder (`-F`): the test's key, a known-hosts file that
already holds the daemon's host key, and nothing from the user's ~/.ssh or an agent. Host aliases
`staging` and `production` both reach the daemon, so one suite can name two hosts.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.daemon_fixtures import Daemon, free_port, port_open, require_program

HOST_ALIAS = "cronchecks-sshd"  # the name the host key is known by, whatever alias or port reached it


def keypair(path: Path) -> Path:
    """A passphrase-less ed25519 key made by ssh-keygen; returns the private key's path."""
    subprocess.run([require_program("ssh-keygen", "openssh-client"), "-q", "-t", "ed25519", "-N", "", "-C",
                    "cronchecks-test", "-f", str(path)], check=True, capture_output=True)
    return path


@dataclass
class Sshd:
    folder: Path
    port: int
    config: Path  # the client's config file, for `ssh -F` / the suite's ssh-config / --on-fail-ssh-config
    key: Path
    daemon: Daemon

    def client_config(self, name: str, *, key: Path | None = None, port: int | None = None) -> Path:
        """Another client config: the same hosts with another key (not authorized) or port (closed)."""
        path = self.folder / name
        path.write_text(_client_config(self.folder, port or self.port, key or self.key))
        return path


def _client_config(folder: Path, port: int, key: Path) -> str:
    user = getpass.getuser()
    hosts = [f"""Host {alias}
    HostName 127.0.0.1
    Port {port}
    User {user}
    IdentityFile {key}
    IdentitiesOnly yes
    IdentityAgent none
    HostKeyAlias {HOST_ALIAS}
    UserKnownHostsFile {folder / 'known_hosts'}
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    LogLevel ERROR
""" for alias in ("staging", "production")]
    return "\n".join(hosts)


@pytest.fixture
def sshd(tmp_path: Path):
    program = require_program("/usr/sbin/sshd", "openssh-server")
    require_program("ssh", "openssh-client")
    folder = tmp_path / "sshd"
    folder.mkdir()
    host_key = keypair(folder / "host_ed25519")
    key = keypair(folder / "client_ed25519")
    (folder / "authorized_keys").write_text((folder / "client_ed25519.pub").read_text())
    (folder / "known_hosts").write_text(f"{HOST_ALIAS} {(folder / 'host_ed25519.pub').read_text()}")
    port = free_port()
    (folder / "sshd_config").write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
AuthorizedKeysFile {folder / 'authorized_keys'}
PidFile {folder / 'sshd.pid'}
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
""")
    if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
        # sshd as root insists on its privilege-separation folder (compiled in: /run/sshd), which the Debian
        # service creates at boot; an empty root-owned folder is all it needs.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    config = folder / "ssh_config"
    config.write_text(_client_config(folder, port, key))
    daemon = Daemon("sshd", [program, "-D", "-e", "-f", str(folder / "sshd_config")], folder)
    with daemon.start(lambda: port_open(port)):
        yield Sshd(folder, port, config, key, daemon)
