"""Pushgateway: a job's metrics PUT to /metrics/job/<job>/instance/<host>, replacing its group, after every run.

prometheus_client (the `prometheus` extra) writes the exposition and the URL; its request goes
through the house HTTP client (a `handler`), so proxies, CAs, credentials and the User-Agent are
those of every other request. A push is a snapshot, not a message: it does not wait in the
outbox, since the next run's push replaces it anyway and the store keeps the last success.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from cronchecks.alerting.channels.base import channel_cafile
from cronchecks.alerting.channels.credentials import HttpCredentials
from cronchecks.alerting.metrics import CheckMetrics
from cronchecks.core.errors import MissingExtra, UsageError
from cronchecks.support.secrets import redact_url, scrub

CAFILE_VARIABLE = "CRONCHECKS_PUSHGATEWAY_CAFILE"
CREDENTIALS_PREFIX = "CRONCHECKS_PUSHGATEWAY"
# The grouping key's own labels; a --pushgateway-label may not take them (nor the metrics' labels).
GROUPING_LABELS = ("job", "instance")


class PushTarget(NamedTuple):
    """Where a run's metrics go, read and checked before the command runs."""

    url: str
    shown: str
    labels: dict[str, str]  # extra grouping labels, after job and instance
    credentials: HttpCredentials
    cafile: str | None


def pushgateway_target(url: str, pairs: Sequence[str], env: Mapping[str, str]) -> PushTarget:
    """The --pushgateway URL, its grouping labels and credentials; a mistake or a missing extra raises now."""

    from cronchecks.alerting.channels.credentials import engine_credentials
    from cronchecks.alerting.metrics import OWN_LABELS, parse_labels
    from cronchecks.support.httpclient import base_url

    parts = base_url(url)
    if parts is None:
        raise UsageError(f"invalid --pushgateway {redact_url(url)} (the base URL, e.g. http://127.0.0.1:9091)")
    labels = parse_labels("--pushgateway-label", pairs, reserved=(*GROUPING_LABELS, *OWN_LABELS))
    try:  # said before the job runs, not after it; imported only when a push is asked for
        import prometheus_client  # noqa: F401
    except ImportError:
        raise MissingExtra("prometheus-client", "prometheus") from None
    return PushTarget(url.rstrip("/"), f"--pushgateway {redact_url(url)}", labels,
                      engine_credentials(env, CREDENTIALS_PREFIX, "--pushgateway"),
                      channel_cafile(env, CAFILE_VARIABLE))


class PushRefused(Exception):
    """The Pushgateway answered, and not with 2xx."""


def push(target: PushTarget, job: str, host: str, metrics: Sequence[CheckMetrics], env: Mapping[str, str],
         timeout: float) -> str | None:
    """PUT the metrics as the group job/instance/labels; a problem is returned as one line, never raised."""
    from prometheus_client.exposition import push_to_gateway

    from cronchecks.alerting.metrics import registry
    from cronchecks.support.httpclient import HttpFailure

    handler = _handler(target, env)
    try:
        push_to_gateway(target.url, job=job, registry=registry(metrics),
                        grouping_key={"instance": host, **target.labels}, timeout=max(timeout, 0.1),
                        handler=handler)
    except HttpFailure as failure:
        return f"{target.shown}: not pushed: {failure.reason}"
    except PushRefused as refused:
        return f"{target.shown}: not pushed: {scrub(str(refused), *target.credentials.secrets)}"
    except UsageError as error:
        return f"{target.shown}: not pushed: {error}"
    except Exception as error:  # a push never stands between the run and its exit code
        return f"{target.shown}: not pushed: {type(error).__name__}: {scrub(str(error), *target.credentials.secrets)}"
    return None


def _handler(target: PushTarget, env: Mapping[str, str]) -> Callable[..., Callable[[], None]]:
    """prometheus_client's handler interface, sending through cronchecks.support.httpclient."""
    def handler(url: str, method: str, timeout: float | None, headers: list[tuple[str, str]],
                data: bytes) -> Callable[[], None]:
        def handle() -> None:
            from cronchecks.support.httpclient import send

            sent: dict[str, Any] = {**dict(headers), **target.credentials.headers}
            answer = send(env, method, url, timeout=timeout or 10.0, cafile=target.cafile, data=data,
                          headers=sent, auth=target.credentials.auth)
            if answer.status >= 300:
                detail = " ".join(answer.text.split())[:200]
                raise PushRefused(f"HTTP {answer.status}" + (f" ({detail})" if detail else ""))

        return handle

    return handler
