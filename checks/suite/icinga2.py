"""Suite results submitted to Icinga 2's REST API as passive check results."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

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
