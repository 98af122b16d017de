"""Alertmanager channel: every run's state as alerts on /api/v2/alerts, refreshed while firing, resolved on recovery.

Alertmanager resolves an alert nobody re-sends before its `endsAt`, so this channel is told
every run (like the metric channels), not only the announced transitions: each run of a
failing check re-sends the same alert (same labels: an idempotent refresh, not a new
message) with `endsAt` a margin ahead, and the first OK run sends the same labels with
`endsAt` now. Silences, inhibition, grouping and repeats are Alertmanager's own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cronchecks.alerting.channels.base import RUN, Channel, DeliveryError, channel_cafile, http_delivery, retry_after
from cronchecks.core.errors import UsageError
from cronchecks.support.secrets import redact_url

CAFILE_VARIABLE = "CRONCHECKS_ALERTMANAGER_CAFILE"
CREDENTIALS_PREFIX = "CRONCHECKS_ALERTMANAGER"
# Where the status page lives (`cronchecks report --html`), for each alert's generatorURL.
REPORT_URL_VARIABLE = "CRONCHECKS_REPORT_URL"
ALERTNAME = "cronchecks"
MIN_REFRESH = 300.0  # at least 5 minutes ahead, however often the check runs
INTERVALS_AHEAD = 4  # ... else 4 of the check's usual intervals, so one late or lost run does not resolve it
UNLEARNED_REFRESH = 3600.0  # a check with no history yet: an hour, until its second run says how often it runs
OWN_LABELS = ("alertname", "check", "host", "severity")
ANNOTATION_LIMIT = 4000  # the cut output: Alertmanager keeps it in memory and in every notification
_RETRYABLE_STATUS = {408, 425, 429}


def timestamp(seconds: float) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager's API (strfmt.DateTime) reads it."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def severity(status: str | None) -> str:
    return {"WARNING": "warning", "CRITICAL": "critical"}.get(str(status), "unknown")


def refresh_margin(event: Mapping[str, Any], refresh: float | None) -> float:
    """How far ahead `endsAt` goes: --alertmanager-refresh, else 4 usual intervals, at least 5 minutes."""
    if refresh is not None:
        return refresh
    interval = event.get("interval")
    if not isinstance(interval, (int, float)) or interval <= 0:
        return UNLEARNED_REFRESH
    return max(MIN_REFRESH, INTERVALS_AHEAD * float(interval))


def alerts_for(event: Mapping[str, Any], labels: Mapping[str, str], refresh: float | None,
               generator_url: str | None, now: float) -> list[dict[str, Any]]:
    """The alerts one run event posts: a firing refresh, a resolve, or both when the severity changed.

    The severity is a label, so WARNING -> CRITICAL is another alert: the old one is resolved
    in the same post, or it would fire on until its endsAt. A refresh that waited in the
    outbox past its own endsAt says nothing true any more and is left out: posted, it would
    resolve the alert now and the next run would fire it again.
    """
    at = float(event["at"])
    base = {"alertname": ALERTNAME, "check": str(event.get("check")), "host": str(event.get("host")), **labels}
    previous = event.get("previous_status")
    found: list[dict[str, Any]] = []

    def alert(level: str, ends: float, starts: float | None, annotations: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {"labels": {**base, "severity": level}, "annotations": annotations,
                                "endsAt": timestamp(ends)}
        if starts is not None:
            body["startsAt"] = timestamp(min(starts, ends))
        if generator_url:
            body["generatorURL"] = generator_url
        return body

    if event.get("was_firing") and previous not in (None, "OK") and \
            (not event.get("firing") or severity(previous) != severity(event.get("status"))):
        found.append(alert(severity(previous), at, event.get("previous_since"),
                           {"summary": str(event.get("summary") or "")}))
    if event.get("firing") and at + refresh_margin(event, refresh) >= now:
        output = str(event.get("output") or "")[-ANNOTATION_LIMIT:]
        found.append(alert(severity(event.get("status")), at + refresh_margin(event, refresh),
                           event.get("since") or at, {"summary": str(event.get("summary") or ""), "output": output}))
    return found


class AlertmanagerChannel(Channel):
    """One Alertmanager (its base URL); the alerts' labels are the check's, the host's and the user's."""

    kind = "alertmanager"
    events = frozenset({RUN})
    wants_state = True

    def __init__(self, url: str, labels: Mapping[str, str], refresh: float | None, env: Mapping[str, str]) -> None:

        from cronchecks.alerting.channels.credentials import engine_credentials
        from cronchecks.support.httpclient import base_url

        parts = base_url(url)
        if parts is None:
            raise UsageError(f"invalid --alertmanager {redact_url(url)} (the base URL, e.g. http://127.0.0.1:9093)")
        self.endpoint = url.rstrip("/") + "/api/v2/alerts"
        super().__init__(url.rstrip("/"), f"alertmanager {redact_url(url)}")
        self.labels = dict(labels)
        self.refresh = refresh
        self.env = env
        self.cafile = channel_cafile(env, CAFILE_VARIABLE)
        self.credentials = engine_credentials(env, CREDENTIALS_PREFIX, "--alertmanager")
        self.generator_url = (env.get(REPORT_URL_VARIABLE) or "").strip() or None

    def accepts(self, event: dict[str, Any]) -> bool:
        return super().accepts(event) and bool(event.get("firing") or event.get("was_firing"))

    def send(self, event: dict[str, Any], timeout: float) -> None:
        alerts = alerts_for(event, self.labels, self.refresh, self.generator_url, time.time())
        if not alerts:
            return
        response = http_delivery(self.shown, self.env, "POST", self.endpoint, json=alerts, timeout=timeout,
                                 cafile=self.cafile, cafile_variable=CAFILE_VARIABLE, auth=self.credentials.auth,
                                 headers=self.credentials.headers)
        if response.status < 300:
            return
        detail = " ".join(response.text.split())[:200]
        raise DeliveryError(f"{self.shown}: HTTP {response.status}" + (f" ({detail})" if detail else ""),
                            retryable=response.status >= 500 or response.status in _RETRYABLE_STATUS,
                            retry_after=retry_after(response.headers.get("Retry-After")))
