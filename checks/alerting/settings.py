"""The alert settings of a check (policy and channels), read the same way for `cronchecks run` and a suite file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from cronchecks.alerting.channels.options import ChannelOptions
from cronchecks.alerting.policy import RECOVER_AFTER_LIMIT, Policy, parse_flapping, parse_notify_on
from cronchecks.core.values import OptionValues

if TYPE_CHECKING:
    from cronchecks.alerting.windows import MaintenanceWindow

# Their long names: `run`'s options and a suite's keys ([defaults] or a check's table).
ALERT_KEYS = (
    "after", "remind", "remind-every", "notify-on", "mail", "webhook", "webhook-format", "pagerduty",
    "pagerduty-key-file", "cloudwatch", "dimension", "dogstatsd",
    # Alertmanager: told every run's state
    "alertmanager", "alertmanager-label", "alertmanager-refresh",
    # Nagios' passive channels (NSCA's password and NRDP's token come from the environment)
    "nsca", "nsca-encryption", "nrdp",
    # when a notice is owed: recoveries after N OK results, flapping thresholds (or none)
    "recover-after", "flapping", "no-flapping",
)
REPEATABLE_ALERT_KEYS = ("mail", "webhook", "dimension", "alertmanager", "alertmanager-label")
# A check's name goes into the store, alerts, dedup keys, Icinga 2 service names and Prometheus
# labels: `cronchecks run --name` and a suite file's `name` are at most this long.
NAME_LIMIT = 200


class AlertSettings(NamedTuple):
    policy: Policy
    channels: ChannelOptions
    # the config file's [[maintenance]] windows (applied by the policy)
    windows: tuple[MaintenanceWindow, ...] = ()


def read_alert_settings(values: OptionValues) -> AlertSettings:
    """Policy and channels from option values; a bad value is an OptionError naming its option."""
    remind = values.duration("remind", positive=True)
    return AlertSettings(
        policy=Policy(
            after=values.whole("after", 1, minimum=1) or 1,
            remind=remind,
            remind_every=values.whole("remind-every", minimum=1),
            notify_on=values.parsed("notify-on", parse_notify_on) or parse_notify_on("all"),
            **_quiet_policy(values),
        ),
        channels=ChannelOptions(
            mail=values.texts("mail"),
            webhooks=values.texts("webhook"),
            webhook_format=values.text("webhook-format"),
            pagerduty=values.flag("pagerduty"),
            pagerduty_key_file=values.text("pagerduty-key-file"),
            cloudwatch=values.text("cloudwatch"),
            dimensions=values.texts("dimension"),
            dogstatsd=values.text("dogstatsd"),
            alertmanagers=values.texts("alertmanager"),
            alertmanager_labels=values.texts("alertmanager-label"),
            alertmanager_refresh=values.duration("alertmanager-refresh", positive=True),
            # Nagios' passive channels
            nsca=values.text("nsca"),
            nsca_encryption=values.text("nsca-encryption"),
            nrdp=values.text("nrdp"),
        ),
    )


def _quiet_policy(values: OptionValues) -> dict[str, Any]:
    """--recover-after, --flapping HIGH:LOW and --no-flapping (the suite's recover-after, flapping, no-flapping)."""
    from cronchecks.core.values import OptionError

    recover_after = values.whole("recover-after", 1, minimum=1) or 1
    if recover_after > RECOVER_AFTER_LIMIT:
        raise OptionError("recover-after", f"{recover_after} is above {RECOVER_AFTER_LIMIT} (the results kept "
                          "for the decision)")
    flapping = values.parsed("flapping", parse_flapping)
    off = values.flag("no-flapping")
    if off and flapping is not None:
        raise OptionError("no-flapping", "goes without flapping HIGH:LOW")
    return {"recover_after": recover_after, "flapping": None if off else (flapping or Policy().flapping)}
