"""Turn the wrapper's channel options into Channel objects (each module imported only if used)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from cronchecks.alerting.channels.base import Channel
from cronchecks.core.errors import UsageError
from cronchecks.support.secrets import read_secret, redact_url

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
WEBHOOK_FORMATS = ("json", "slack", "teams", "discord", "pagerduty")


class ChannelOptions(NamedTuple):
    """Where alerts and run records go, as given on the command line or in a suite file."""

    mail: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    webhook_format: str | None = None  # None: detected from each URL
    pagerduty: bool = False
    pagerduty_key_file: str | None = None
    cloudwatch: str | None = None  # namespace
    dimensions: tuple[str, ...] = ()  # K=V
    dogstatsd: str | None = None  # HOST:PORT
    alertmanagers: tuple[str, ...] = ()  # base URLs
    alertmanager_labels: tuple[str, ...] = ()  # K=V
    alertmanager_refresh: float | None = None  # seconds; None: learned from the check's history
    # Nagios' passive channels
    nsca: str | None = None  # HOST:PORT
    nsca_encryption: str | None = None  # none or xor; None: xor given a password
    nrdp: str | None = None  # URL


def detect_webhook_format(url: str) -> str:
    """The payload format a webhook URL obviously wants; plain JSON otherwise."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()  # without user-info or port (Power Automate's :443)
    except ValueError:
        return "json"
    if host in ("hooks.slack.com", "hooks.slack-gov.com"):
        return "slack"
    # Teams: Office 365 connectors, and Power Automate workflows (Logic Apps, Power Platform)
    if host.endswith((".webhook.office.com", ".logic.azure.com", ".environment.api.powerplatform.com")) \
            or host == "outlook.office.com":
        return "teams"
    if host in ("discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"):
        return "discord"
    if host in ("events.pagerduty.com", "events.eu.pagerduty.com"):
        return "pagerduty"
    return "json"


def pagerduty_routing_key(options: ChannelOptions, env: Mapping[str, str]) -> str:
    key = read_secret(direct=None, env_name="CRONCHECKS_PAGERDUTY_KEY" if "CRONCHECKS_PAGERDUTY_KEY" in env else None,
                      file_path=options.pagerduty_key_file, env=env, what="the PagerDuty routing key")
    if not key:
        raise UsageError("PagerDuty needs a routing key: set CRONCHECKS_PAGERDUTY_KEY or give --pagerduty-key-file")
    return key


def build_channels(options: ChannelOptions, env: Mapping[str, str], host: str) -> list[Channel]:
    """Channel objects for every destination named; option mistakes raise UsageError."""
    channels: list[Channel] = []
    if options.webhook_format and options.webhook_format not in WEBHOOK_FORMATS:
        raise UsageError(f"invalid --webhook-format {options.webhook_format!r} ({', '.join(WEBHOOK_FORMATS)})")
    for address in options.mail:
        from cronchecks.alerting.channels.mail import MailChannel

        channels.append(MailChannel.from_env(address, env))
    webhooks = list(options.webhooks)
    if options.pagerduty:
        webhooks.append(env.get("CRONCHECKS_PAGERDUTY_URL", PAGERDUTY_EVENTS_URL))
    for url in webhooks:
        from cronchecks.alerting.channels.webhook import WebhookChannel

        if not url.lower().startswith(("http://", "https://")):
            raise UsageError(f"invalid --webhook {redact_url(url)} (http:// or https:// expected)")
        kind = options.webhook_format or detect_webhook_format(url)
        if options.pagerduty and url == webhooks[-1] and len(webhooks) > len(options.webhooks):
            kind = "pagerduty"
        key = pagerduty_routing_key(options, env) if kind == "pagerduty" else None
        channels.append(WebhookChannel(url, kind, routing_key=key, env=env))
    if options.cloudwatch:
        from cronchecks.alerting.channels.cloudwatch import CloudWatchChannel

        channels.append(CloudWatchChannel(options.cloudwatch, _dimensions(options.dimensions), env))
    elif options.dimensions:
        raise UsageError("--dimension goes with --cloudwatch")
    if options.dogstatsd:
        from cronchecks.alerting.channels.dogstatsd import DogStatsdChannel

        channels.append(DogStatsdChannel.from_address(options.dogstatsd))
    channels += _alertmanagers(options, env)
    # Nagios' passive channels
    if options.nsca:
        from cronchecks.alerting.channels.nsca import NscaChannel

        channels.append(NscaChannel.from_options(options.nsca, options.nsca_encryption, env))
    elif options.nsca_encryption:
        raise UsageError("--nsca-encryption goes with --nsca")
    if options.nrdp:
        from cronchecks.alerting.channels.nrdp import NrdpChannel

        channels.append(NrdpChannel.from_options(options.nrdp, env))
    return channels


def _alertmanagers(options: ChannelOptions, env: Mapping[str, str]) -> list[Channel]:
    if not options.alertmanagers:
        if options.alertmanager_labels or options.alertmanager_refresh is not None:
            raise UsageError("--alertmanager-label and --alertmanager-refresh go with --alertmanager")
        return []
    from cronchecks.alerting.channels.alertmanager import OWN_LABELS, AlertmanagerChannel
    from cronchecks.alerting.metrics import parse_labels

    labels = parse_labels("--alertmanager-label", options.alertmanager_labels, reserved=OWN_LABELS)
    return [AlertmanagerChannel(url, labels, options.alertmanager_refresh, env)
            for url in dict.fromkeys(options.alertmanagers)]


def _dimensions(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"invalid --dimension {pair!r} (use NAME=VALUE)")
        found[name.strip()] = value.strip()
    return found


# --- routing: which notices a named channel of the config file is told --------------------------------

# A channel's `on`: the transitions it is told of (the kinds of alert events, flapping's two as one).
ROUTE_KINDS = ("problem", "recovery", "escalation", "reminder", "flapping", "remediation", "acknowledgement",
               "downtime")
ROUTE_STATES = ("ok", "warning", "critical", "unknown")
# Channels whose protocol is one event per check keep their events when a suite groups its messages.
GROUPING_KINDS = frozenset({"mail", "webhook-json", "webhook-slack", "webhook-teams", "webhook-discord"})


def route_kind(event_kind: str) -> str:
    """The `on` word of an alert event's kind: flapping_start and flapping_stop are both `flapping`."""
    return "flapping" if event_kind.startswith("flapping") else event_kind


class Route(NamedTuple):
    """A channel's filters: the states it is told about and the transitions; None lets everything through."""

    states: frozenset[str] | None = None  # lower-case state names
    on: frozenset[str] | None = None  # ROUTE_KINDS

    def takes(self, kind: str) -> bool:
        if route_kind(kind) == "downtime":  # news a channel asks for by name: never a default's, so that a
            return self.on is not None and "downtime" in self.on  # quiet downtime stays quiet everywhere else
        return self.on is None or route_kind(kind) in self.on

    def allows(self, event: dict) -> bool:
        """Run records (metrics) always pass; an alert passes when its kind and state are wanted.

        A recovery's state is OK: its `states` filter is the problem's, applied when the channel
        was told of it (the recorder sends a recovery to exactly the channels told of the problem).
        """
        if event.get("event") != "alert":
            return True
        kind = str(event.get("kind") or "problem")
        if not self.takes(kind):
            return False
        if self.states is None or kind in ("recovery", "flapping_stop"):
            return True
        return str(event.get("status") or "unknown").lower() in self.states


class RoutedChannel(Channel):
    """A channel of the config file: the channel itself, told only what its route lets through.

    Its fingerprint is the channel's own, so the outbox and the `told` table know it by what it
    delivers to, whichever name the config gives it; `shown` starts with that name.
    """

    def __init__(self, inner: Channel, route: Route, name: str) -> None:
        super().__init__(inner.address, f"{name}: {inner.shown}")
        self.inner = inner
        self.route = route
        self.name = name
        self.kind = inner.kind
        self.events = inner.events
        self.wants_state = inner.wants_state

    def __getattr__(self, attribute: str):  # what a channel kind adds (wants_plugin_output, ...)
        return getattr(self.__dict__["inner"], attribute)

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def accepts(self, event: dict) -> bool:
        return self.inner.accepts(event) and self.route.allows(event)

    def send(self, event: dict, timeout: float) -> None:
        self.inner.send(event, timeout)


def channel_route(channel: Channel) -> Route:
    """The route of a channel: a named one's own; a channel given on the command line takes everything."""
    return channel.route if isinstance(channel, RoutedChannel) else Route()


def groups_messages(channel: Channel) -> bool:
    """Whether a suite's messages to this channel go as one message (chat, mail), not one event per check."""
    return channel.kind in GROUPING_KINDS


def unrouted(channel: Channel) -> Channel:
    """The channel itself, under its route."""
    return channel.inner if isinstance(channel, RoutedChannel) else channel
