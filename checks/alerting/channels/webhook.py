"""Webhook channel: POST an event as JSON, in the payload format the receiver expects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cronchecks.alerting.channels.base import ALERT, Channel, DeliveryError, channel_cafile, http_delivery, retry_after
from cronchecks.support.secrets import redact_url

# Trusted instead of the system's CA store, for a receiver behind an internal CA.
CAFILE_VARIABLE = "CRONCHECKS_WEBHOOK_CAFILE"

# 408 and 429 say "later"; 5xx is the receiver's trouble; other 4xx will fail again.
_RETRYABLE_STATUS = {408, 425, 429}


class WebhookChannel(Channel):
    """One webhook URL (the URL is a secret: tokens live in its path) and its format."""

    events = frozenset({ALERT, "report"})

    def __init__(self, url: str, payload_format: str, routing_key: str | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        super().__init__(url if routing_key is None else f"{url}#{routing_key}",
                         f"{payload_format} webhook {redact_url(url).split('://')[0]}://"
                         f"{redact_url(url).split('://', 1)[-1].split('/', 1)[0]}/***")
        self.url = url
        self.kind = f"webhook-{payload_format}"
        self.payload_format = payload_format
        self.routing_key = routing_key
        # Proxies and the CA come from the environment the wrapper was given, as for every HTTP call.
        self.env: Mapping[str, str] = env if env is not None else {}
        self.cafile = channel_cafile(self.env, CAFILE_VARIABLE)
        if payload_format == "pagerduty":  # a daily report is not an incident
            self.events = frozenset({ALERT})

    def accepts(self, event: dict[str, Any]) -> bool:
        if self.payload_format == "pagerduty" and event.get("event") == ALERT:
            # Incidents open and close with problems and recoveries; a remediation notice would
            # open one for a check that is fine again, and a failing one already has its own.
            from cronchecks.alerting.channels.webhook_formats import PAGERDUTY_RESOLVE, PAGERDUTY_TRIGGER

            return event.get("kind") in PAGERDUTY_TRIGGER | PAGERDUTY_RESOLVE
        return super().accepts(event)

    def render(self, event: dict[str, Any]) -> dict[str, Any]:
        from cronchecks.alerting.channels.webhook_formats import render

        return render(self.payload_format, event, routing_key=self.routing_key)

    def send(self, event: dict[str, Any], timeout: float) -> None:
        from cronchecks.alerting.channels.webhook_formats import UnsupportedEvent

        try:
            body = self.render(event)
        except UnsupportedEvent as error:
            raise DeliveryError(f"{self.shown}: {error}", retryable=False) from None
        response = http_delivery(self.shown, self.env, "POST", self.url, json=body, timeout=timeout,
                                 cafile=self.cafile, cafile_variable=CAFILE_VARIABLE)
        if response.status < 300:
            from cronchecks.alerting.channels.webhook_formats import rejected_in_body

            problem = rejected_in_body(self.payload_format, response.text)
            if problem:
                raise DeliveryError(f"{self.shown}: rejected: {problem}", retryable=False)
            return
        retryable = response.status >= 500 or response.status in _RETRYABLE_STATUS
        reason = ""
        if self.payload_format == "slack":  # Slack says why in a short token (`invalid_token`)
            from cronchecks.alerting.channels.webhook_formats import slack_error_token

            token = slack_error_token(response.text)
            reason = f" ({token})" if token else ""
        raise DeliveryError(f"{self.shown}: HTTP {response.status}{reason}", retryable=retryable,
                            retry_after=retry_after(response.headers.get("Retry-After")))
