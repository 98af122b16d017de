"""Run a command on another host through the system's ssh client, in batch mode, under the process runner's deadline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from cronchecks.core.values import OptionError, OptionValues
from cronchecks.support.process import Finished, run_command

# ssh exits 255 for its own failures (no route, refused, a key or host key not accepted);
# any other code is the remote command's. A remote command that itself exits 255 reads as
# an ssh failure: ssh gives no other way to tell them apart.
SSH_FAILED = 255


class SshTarget(NamedTuple):
    """Where a command runs: `host` as ssh takes it (`HOST`, `USER@HOST`, a Host alias of the config)."""

    host: str
    options: tuple[str, ...] = ()  # each one `-o` for ssh: `Port=2222`, `User=monitor`
    config: str | None = None  # ssh's -F: a config file instead of ~/.ssh/config

    @property
    def shown(self) -> str:
        return self.host


def ssh_target(values: OptionValues, *, host_key: str, options_key: str, config_key: str,
               named: str = "{}") -> SshTarget | None:
    """The target from option values (a suite's `ssh`, `ssh-options`, `ssh-config`; run's `--on-fail-ssh...`).

    `named` shows a key in a message: `{}` for a suite file's keys, `--{}` for options.
    """
    host = values.text(host_key)
    options = values.texts(options_key)
    config = values.text(config_key)
    if host is None:
        for key, given in ((options_key, options), (config_key, config)):
            if given:
                raise OptionError(key, f"goes with {named.format(host_key)} (the host to run on)")
        return None
    host = host.strip()
    # A host ssh would read as an option (`-oProxyCommand=...`) or split is refused: it comes from a file.
    if not host or host.startswith("-") or any(ch.isspace() or not ch.isprintable() for ch in host):
        raise OptionError(host_key, f"{host!r} is not a host name (HOST or USER@HOST)")
    for option in options:
        name, sep, value = option.partition("=")
        if not sep or not name.strip() or not name.strip().isalnum() or not value.strip() \
                or any(not ch.isprintable() for ch in option):
            raise OptionError(options_key, f"{option!r} is not an ssh option (KEY=VALUE, e.g. Port=2222)")
    if config is not None and (not config.strip() or any(not ch.isprintable() for ch in config)):
        raise OptionError(config_key, f"{config!r} is not a file name")
    return SshTarget(host, tuple(option.strip() for option in options), config)


def connect_timeout(timeout: float) -> int:
    """Half the run's time limit, in whole seconds (at least 1).

    An unreachable host must fail as ssh's own error (UNKNOWN, naming the host) before the
    whole limit ends the run as a timeout (the check's timeout state, CRITICAL by default).
    """
    return max(1, math.floor(timeout / 2))


def ssh_argv(target: SshTarget, remote: Sequence[str], timeout: float, program: str = "ssh") -> list[str]:
    """ssh's command line: batch mode (no password or passphrase prompt, no host key question), then the
    user's options, then a connect timeout the user may override; the remote command quoted whole.

    ssh joins its arguments with spaces for the remote shell, so the command goes as one
    string that the remote shell splits back into exactly `remote`.
    """
    import shlex

    argv = [program, "-T", "-o", "BatchMode=yes"]  # ssh takes the first value given: batch mode stays on
    if target.config:
        argv += ["-F", target.config]
    for option in target.options:
        argv += ["-o", option]
    argv += ["-o", f"ConnectTimeout={connect_timeout(timeout)}", "--", target.host, shlex.join(remote)]
    return argv


def run_remote(target: SshTarget, remote: Sequence[str], timeout: float, *, passthrough: bool = False,
               program: str = "ssh") -> Finished:
    """Run `remote` on the target through the process runner; stdin is closed (nothing can prompt)."""
    import subprocess

    return run_command(ssh_argv(target, remote, timeout, program), timeout, passthrough=passthrough,
                       stdin=subprocess.DEVNULL)


def ssh_failure(target: SshTarget, finished: Finished) -> str | None:
    """When ssh itself failed (exit 255, or no ssh to start): one line naming the host and ssh's reason."""
    if finished.start_error:
        return f"cannot run ssh for {target.shown}: {finished.start_error}"
    if finished.exit_code != SSH_FAILED:
        return None
    lines = [line.strip() for line in finished.stderr.splitlines() if line.strip()]
    # ssh's last line is its reason; warnings ("Permanently added ...") come before it.
    reason = lines[-1] if lines else "ssh exited 255"
    reason = reason if len(reason) <= 300 else reason[:297] + "..."
    return f"ssh to {target.shown} failed: {reason}"
