"""Suite results submitted to Icinga 2's REST API as passive check results."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.suite.passive_result import perfdata_texts, plugin_output
from cronchecks.support.secrets import read_secret, redact_url


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def icinga2_payload(run, host: str, ttl: float) -> dict:
    """The body of one /v1/actions/process-check-result request (the Icinga 2 API's documented shape)."""
    return {
        "type": "Service",
        "filter": f'host.name=="{_quote(host)}" && service.name=="{_quote(run.entry.name)}"',
        "exit_status": int(run.result.status),
        "plugin_output": plugin_output(run),
        "performance_data": perfdata_texts(run),
        "check_source": host,
        "execution_start": run.at,
        "execution_end": run.at + run.duration,
        # A suite that stops running lets its results go stale in Icinga 2 instead of
        # showing the last good state forever.
        "ttl": int(ttl),
    }


class Icinga2Target(NamedTuple):
    """Where and as whom passive results go; read and checked before any check runs."""

    endpoint: str
    shown: str  # the URL fit to show (no user-info, no query)
    user: str
    password: str
    verify: bool | str  # True: the system CAs; a path: CRONCHECKS_ICINGA2_CAFILE


def icinga2_target(url: str, env: Mapping[str, str]) -> Icinga2Target:
    """The --icinga2 URL and its credentials from the environment; a mistake is a UsageError.

    Checked before the suite runs: a URL that cannot be used (`http://`, `icinga:5665`) or
    missing credentials is one UNKNOWN line, not a suite that ran and then could not tell.
    """

    shown = redact_url(url)
    from cronchecks.support.httpclient import base_url

    parts = base_url(url)
    if parts is None:
        raise UsageError(f"invalid --icinga2 {shown!r}: the API's URL expected, e.g. https://icinga.example.com:5665")
    user = env.get("CRONCHECKS_ICINGA2_USER")
    password = read_secret(direct=None,
                           env_name="CRONCHECKS_ICINGA2_PASSWORD" if env.get("CRONCHECKS_ICINGA2_PASSWORD") else None,
                           file_path=env.get("CRONCHECKS_ICINGA2_PASSWORD_FILE"), env=env,
                           what="the Icinga 2 API password")
    if not user or password is None:
        raise UsageError("--icinga2 needs CRONCHECKS_ICINGA2_USER and CRONCHECKS_ICINGA2_PASSWORD (or _PASSWORD_FILE)")
    verify: bool | str = env.get("CRONCHECKS_ICINGA2_CAFILE") or True
    return Icinga2Target(url.rstrip("/") + "/v1/actions/process-check-result", shown, user, password, verify)


def submit_icinga2(target: Icinga2Target, runs: Sequence, host: str, ttl: float, env: Mapping[str, str],
                   timeout: float) -> list[str]:
    """POST every result within `timeout` in all; returns one line per failure (empty when all were accepted).

    Through the one outbound HTTP client: its deadline bounds each whole exchange (a server
    that answers a byte at a time cannot hold the suite), and proxies come from `env` alone.
    """
    from cronchecks.support.httpclient import send
    from cronchecks.support.httpfailures import HttpFailure

    deadline = time.monotonic() + timeout
    shown = target.shown
    cafile = target.verify if isinstance(target.verify, str) else None

    def submit(run) -> str | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return f"{run.entry.name}: not sent to Icinga 2 {shown}: no time left"
        try:
            answer = send(env, "POST", target.endpoint, timeout=remaining, cafile=cafile,
                          json=icinga2_payload(run, host, ttl), auth=(target.user, target.password),
                          headers={"Accept": "application/json"}, follow=False)
        except HttpFailure as error:
            return f"{run.entry.name}: Icinga 2 {shown} did not answer: {error.reason}"
        except UsageError as error:
            return f"{run.entry.name}: not sent to Icinga 2 {shown}: {error.message}"
        if answer.status != 200:
            return f"{run.entry.name}: Icinga 2 {shown} answered HTTP {answer.status}"
        return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [problem for problem in pool.map(submit, runs) if problem]
