"""NRDP channel: every run as a passive check result posted to Nagios' NRDP over HTTP (cmd=submitcheck)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cronchecks.alerting.channels.base import RUN, Channel, DeliveryError, channel_cafile, http_delivery
from cronchecks.core.errors import UsageError

TOKEN_VARIABLE, TOKEN_FILE_VARIABLE = "CRONCHECKS_NRDP_TOKEN", "CRONCHECKS_NRDP_TOKEN_FILE"
CAFILE_VARIABLE = "CRONCHECKS_NRDP_CAFILE"
# NRDP hands the output to Nagios (a check result file or the command file): the same 4 KB as
# the command file, so every way into Nagios keeps the same status line and perfdata.
OUTPUT_LIMIT = 4000


def nrdp_token(env: Mapping[str, str]) -> str:
    """The token from CRONCHECKS_NRDP_TOKEN or the file CRONCHECKS_NRDP_TOKEN_FILE names; never argv."""
    from cronchecks.support.secrets import read_secret

    token = read_secret(direct=None, env_name=TOKEN_VARIABLE if TOKEN_VARIABLE in env else None,
                        file_path=env.get(TOKEN_FILE_VARIABLE) or None, env=env, what="the NRDP token")
    if not token or not token.strip():
        raise UsageError(f"NRDP needs its token: set {TOKEN_VARIABLE} or {TOKEN_FILE_VARIABLE}")
    return token.strip()


def submitcheck_form(token: str, results: list[dict[str, str]]) -> dict[str, str]:
    """The form NRDP documents: token, cmd=submitcheck and JSONDATA holding the checkresults."""
    checkresults = [{"checkresult": {"type": "service", "checktype": "1"}, **result} for result in results]
    return {"token": token, "cmd": "submitcheck",
            "JSONDATA": json.dumps({"checkresults": checkresults}, ensure_ascii=False)}


def answer_status(body: str) -> tuple[int | None, str]:
    """NRDP's own status and message from its answer (XML `<result><status>` or JSON `{"result": ...}`)."""
    text = body.strip()
    if text.startswith("{"):
        try:
            result = json.loads(text).get("result") or {}
            return int(str(result.get("status"))), str(result.get("message") or "")
        except (ValueError, TypeError, AttributeError):
            return None, ""
    import re

    status = re.search(r"<status>\s*(-?\d+)\s*</status>", text)
    message = re.search(r"<message>([^<]*)</message>", text)
    return (int(status.group(1)) if status else None), (message.group(1).strip() if message else "")


class NrdpChannel(Channel):
    """An NRDP server's URL (`https://nagios.example.com/nrdp/`); the token travels in the form, not the URL."""

    kind = "nrdp"
    events = frozenset({RUN})
    wants_plugin_output = True  # the run record carries the check's own text (recorder.record_result)

    def __init__(self, url: str, token: str, env: Mapping[str, str]) -> None:
        from cronchecks.support.secrets import redact_url

        self.url, self.token, self.env = url, token, env
        self.cafile = channel_cafile(env, CAFILE_VARIABLE)
        super().__init__(f"{url}\0{token}", f"nrdp {redact_url(url)}")

    @classmethod
    def from_options(cls, url: str, env: Mapping[str, str]) -> NrdpChannel:
        from urllib.parse import urlsplit

        from cronchecks.support.secrets import redact_url

        text = url.strip()
        try:
            parts = urlsplit(text)
            valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except ValueError:
            valid = False
        if not valid:
            raise UsageError(f"invalid --nrdp {redact_url(text)} (the NRDP URL, e.g. https://nagios.example.com/nrdp/)")
        return cls(text, nrdp_token(env), env)

    def send(self, event: dict[str, Any], timeout: float) -> None:
        from urllib.parse import urlencode

        from cronchecks.alerting.channels.passive import fit_passive_text, run_event_parts

        code = event.get("code")
        first, long_output, perf = run_event_parts(event)
        result = {"hostname": str(event.get("host") or ""), "servicename": str(event.get("check") or ""),
                  "state": str(code if code in (0, 1, 2, 3) else 3),
                  "output": fit_passive_text(first, long_output, perf, OUTPUT_LIMIT, escaped=True)}
        body = urlencode(submitcheck_form(self.token, [result])).encode()
        response = http_delivery(self.shown, self.env, "POST", self.url, data=body, timeout=timeout,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 cafile=self.cafile, cafile_variable=CAFILE_VARIABLE, follow=False)
        if response.status >= 300:
            retryable = response.status >= 500 or response.status in (408, 429)
            hint = "; give the URL it redirects to" if 300 <= response.status < 400 else ""
            raise DeliveryError(f"{self.shown}: HTTP {response.status}{hint}", retryable=retryable)
        status, message = answer_status(response.body.decode("utf-8", "replace"))
        if status is None:
            raise DeliveryError(f"{self.shown}: the answer is not NRDP's (no <status>): is the URL the NRDP one?",
                                retryable=False)
        if status != 0:
            said = message or "no message"
            bad_token = "token" in said.lower()
            raise DeliveryError(f"{self.shown}: NRDP refused the result: {said}"
                                + (f" (check {TOKEN_VARIABLE})" if bad_token else ""), retryable=False)
