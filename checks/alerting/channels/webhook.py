"""Webhook channel: POST an event as JSON, in the payload format the receiver expects."""

from __future__ import annotations

from typing import Any

from cronchecks.alerting.channels.base import ALERT, Channel, DeliveryError, request_failure
from cronchecks.support.secrets import redact_url

# 408 and 429 say "later"; 5xx is the receiver's trouble; other 4xx will fail again.
_RETRYABLE_STATUS = {408, 425, 429}


class WebhookChannel(Channel):
    """One webhook URL (the URL is a secret: tokens live in its path) and its format."""

    events = frozenset({ALERT, "report"})

    def __init__(self, url: str, payload_format: str, routing_key: str | None = None) -> None:
        super().__init__(url if routing_key is None else f"{url}#{routing_key}",
                         f"{payload_format} webhook {redact_url(url).split('://')[0]}://"
                         f"{redact_url(url).split('://', 1)[-1].split('/', 1)[0]}/***")
        self.url = url
        self.kind = f"webhook-{payload_format}"
        self.payload_format = payload_format
        self.routing_key = routing_key
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
        import requests

        from cronchecks.alerting.channels.webhook_formats import UnsupportedEvent

        try:
            body = self.render(event)
        except UnsupportedEvent as error:
            raise DeliveryError(f"{self.shown}: {error}", retryable=False) from None
        try:
            response = requests.post(self.url, json=body, timeout=max(timeout, 0.1),
                                     headers={"User-Agent": "cronchecks"})
        except requests.exceptions.RequestException as error:
            raise DeliveryError(f"{self.shown}: {request_failure(error)}", retryable=True) from None
        if response.status_code < 300:
            from cronchecks.alerting.channels.webhook_formats import rejected_in_body

            problem = rejected_in_body(self.payload_format, response.text)
            if problem:
                raise DeliveryError(f"{self.shown}: rejected: {problem}", retryable=False)
            return
        retryable = response.status_code >= 500 or response.status_code in _RETRYABLE_STATUS
        reason = ""
        if self.payload_format == "slack":  # Slack says why in a short token (`invalid_token`)
            from cronchecks.alerting.channels.webhook_formats import slack_error_token

            token = slack_error_token(response.text)
            reason = f" ({token})" if token else ""
        raise DeliveryError(f"{self.shown}: HTTP {response.status_code}{reason}", retryable=retryable,
                            retry_after=_retry_after(response.headers.get("Retry-After")))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None
