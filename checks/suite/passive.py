"""Suite results handed to Icinga 2 (REST API) or Nagios (external command file) as passive results."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping, Sequence

from cronchecks.core.errors import UsageError
from cronchecks.support.secrets import read_secret, redact_url


def _plugin_output(run) -> str:
    from cronchecks.core.output import nagios_lines
    from cronchecks.core.result import Result

    return nagios_lines(run.label, Result(run.result.status, run.result.summary, (), run.result.details))


def _perfdata(run) -> list[str]:
    from cronchecks.core.output import format_perfdata

    return [format_perfdata(datum) for datum in run.result.perfdata]


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def icinga2_payload(run, host: str, ttl: float) -> dict:
    """The body of one /v1/actions/process-check-result request (the Icinga 2 API's documented shape)."""
    return {
        "type": "Service",
        "filter": f'host.name=="{_quote(host)}" && service.name=="{_quote(run.entry.name)}"',
        "exit_status": int(run.result.status),
        "plugin_output": _plugin_output(run),
        "performance_data": _perfdata(run),
        "check_source": host,
        "execution_start": run.at,
        "execution_end": run.at + run.duration,
        # A suite that stops running lets its results go stale in Icinga 2 instead of
        # showing the last good state forever.
        "ttl": int(ttl),
    }


def submit_icinga2(url: str, runs: Sequence, host: str, ttl: float, env: Mapping[str, str],
                   timeout: float) -> list[str]:
    """POST every result; returns one line per failure (empty when all were accepted)."""
    import requests

    user = env.get("CRONCHECKS_ICINGA2_USER")
    password = read_secret(direct=None,
                           env_name="CRONCHECKS_ICINGA2_PASSWORD" if env.get("CRONCHECKS_ICINGA2_PASSWORD") else None,
                           file_path=env.get("CRONCHECKS_ICINGA2_PASSWORD_FILE"), env=env,
                           what="the Icinga 2 API password")
    if not user or password is None:
        raise UsageError("--icinga2 needs CRONCHECKS_ICINGA2_USER and CRONCHECKS_ICINGA2_PASSWORD (or _PASSWORD_FILE)")
    verify: bool | str = env.get("CRONCHECKS_ICINGA2_CAFILE") or True
    endpoint = url.rstrip("/") + "/v1/actions/process-check-result"
    shown = redact_url(url)
    session = requests.Session()
    session.auth = (user, password)
    session.headers.update({"Accept": "application/json", "User-Agent": "cronchecks"})
    deadline = time.monotonic() + timeout

    def submit(run) -> str | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return f"{run.entry.name}: not sent to Icinga 2 {shown}: no time left"
        try:
            response = session.post(endpoint, json=icinga2_payload(run, host, ttl), verify=verify, timeout=remaining)
        except requests.exceptions.RequestException as error:
            return f"{run.entry.name}: Icinga 2 {shown} did not answer: {type(error).__name__}"
        if response.status_code != 200:
            return f"{run.entry.name}: Icinga 2 {shown} answered HTTP {response.status_code}"
        return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [problem for problem in pool.map(submit, runs) if problem]


def nagios_command_lines(runs: Sequence, host: str, now: float | None = None) -> list[str]:
    """PROCESS_SERVICE_CHECK_RESULT lines; one line each (long output as literal \\n, as Nagios reads it)."""
    stamp = int(time.time() if now is None else now)
    lines = []
    for run in runs:
        output = _plugin_output(run).replace("\n", "\\n").replace(";", ",")
        perf = " ".join(_perfdata(run))
        text = f"{output}|{perf}" if perf else output
        lines.append(f"[{stamp}] PROCESS_SERVICE_CHECK_RESULT;{host};{run.entry.name};{int(run.result.status)};{text}\n")
    return lines


def write_nagios_commands(path: str, lines: Sequence[str]) -> None:
    """Write to Nagios' command file (a FIFO): without a reader Nagios is down, and we say so, not hang."""
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_APPEND", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise UsageError(f"--nagios-cmd {path} does not exist (is Nagios running with check_external_commands?)") from None
    except OSError as error:
        raise UsageError(f"--nagios-cmd {path}: cannot open for writing: {error.strerror or error}") from None
    try:
        for line in lines:
            # One write per line: writes up to PIPE_BUF bytes reach a FIFO whole, never interleaved.
            data = line.encode("utf-8")
            if len(data) > 4096:
                data = data[:4095] + b"\n"
            written = 0
            while written < len(data):
                try:
                    written += os.write(handle, data[written:])
                except BlockingIOError:
                    time.sleep(0.01)
    finally:
        os.close(handle)
