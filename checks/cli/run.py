"""Command line of `cronchecks run`: options in, the wrapped command's exit code out."""

from typing import Annotated

import typer

from cronchecks.core.errors import UsageError
from cronchecks.core.values import option_value

RUNNING = "Running the command"
POLICY = "Alert policy"
CHANNELS = "Channels"
FIXING = "Remediation"
PROMETHEUS = "Prometheus, Pushgateway and Alertmanager"


def run(
    command: Annotated[list[str], typer.Argument(
        metavar="-- COMMAND [ARGS]...", help="The command to run, after `--`; run without a shell.")],
    name: Annotated[str | None, typer.Option(
        "--name", metavar="NAME", help="The check's name in the store and in alerts (default: the program's name and a "
        "hash of the command line).",
        rich_help_panel=RUNNING)] = None,
    timeout: Annotated[str, typer.Option(
        "--timeout", "-t", metavar="DURATION",
        help="End the command (its whole process tree) after this long: CRITICAL.",
        rich_help_panel=RUNNING)] = "60s",
    nagios: Annotated[bool | None, typer.Option(
        "--nagios/--no-nagios", help="Read exit codes 1-3 as WARNING/CRITICAL/UNKNOWN (default: yes for "
        "check_*/check-* commands); otherwise any non-zero exit is CRITICAL.",
        rich_help_panel=RUNNING)] = None,
    state_dir: Annotated[str | None, typer.Option(
        "--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
        help="Where the SQLite store lives (env CRONCHECKS_STATE_DIR; default: the user state folder).",
        rich_help_panel=RUNNING)] = None,
    keep: Annotated[str, typer.Option(
        "--keep", metavar="DURATION", help="Keep results and the remediation log this long.",
        rich_help_panel=RUNNING)] = "90d",
    lock: Annotated[bool, typer.Option(
        "--lock",
        help="If a run of the same check is still going, exit at once (UNKNOWN, recorded) instead of overlapping.",
        rich_help_panel=RUNNING)] = False,
    verbose: Annotated[int, typer.Option(
        "--verbose", "-v", count=True, help="Say on stderr what was recorded and announced.",
        rich_help_panel=RUNNING)] = 0,
    host: Annotated[str | None, typer.Option(
        "--host", metavar="NAME", help="Host name in alerts and metrics (default: this machine's name).",
        rich_help_panel=RUNNING)] = None,
    after: Annotated[str | None, typer.Option(  # str: read by the alert settings' reader, as a suite's `after` is
        "--after", metavar="N", help="Alert once the check has been non-OK N runs in a row (a hard state; "
        "default 1).", rich_help_panel=POLICY)] = None,
    remind: Annotated[str | None, typer.Option(
        "--remind", metavar="DURATION", help="Remind this often while it stays bad (e.g. 1h).",
        rich_help_panel=POLICY)] = None,
    remind_every: Annotated[str | None, typer.Option(
        "--remind-every", metavar="N", help="Remind every N runs while it stays bad.", rich_help_panel=POLICY)] = None,
    notify_on: Annotated[str | None, typer.Option(
        "--notify-on", metavar="KINDS",
        help="Which messages go out: problem,recovery,escalation,reminder,flapping,remediation,acknowledgement,"
        "downtime (default all).",
        rich_help_panel=POLICY)] = None,
    # --- when a notice is owed, and what holds it ---
    recover_after: Annotated[str | None, typer.Option(
        "--recover-after", metavar="N", help="Declare a recovery after N OK results in a row (default 1).",
        rich_help_panel=POLICY)] = None,
    flapping: Annotated[str | None, typer.Option(
        "--flapping", metavar="HIGH:LOW", help="Flapping starts above HIGH % of state changes over the last 20 "
        "results and stops below LOW % (default 30:25).", rich_help_panel=POLICY)] = None,
    no_flapping: Annotated[bool, typer.Option(
        "--no-flapping", help="No flapping detection: every problem and recovery is announced.",
        rich_help_panel=POLICY)] = False,
    depends_on: Annotated[list[str] | None, typer.Option(
        "--depends-on", metavar="NAME", help="Hold this check's messages while the check NAME (from the same "
        "store) is in a hard problem state (repeatable).", rich_help_panel=POLICY)] = None,
    duration_warning: Annotated[str | None, typer.Option(
        "--duration-warning", metavar="RANGE", help="WARNING when the job's wall time is outside this Nagios range "
        "(e.g. 30s:20m); the exit code stays the job's.", rich_help_panel=POLICY)] = None,
    duration_critical: Annotated[str | None, typer.Option(
        "--duration-critical", metavar="RANGE", help="CRITICAL when the job's wall time is outside this range.",
        rich_help_panel=POLICY)] = None,
    mail: Annotated[list[str] | None, typer.Option(
        "--mail", metavar="ADDR",
        help="Mail alerts to this address (repeatable; SMTP settings from CRONCHECKS_SMTP_*).",
        rich_help_panel=CHANNELS)] = None,
    webhook: Annotated[list[str] | None, typer.Option(
        "--webhook", metavar="URL", help="POST alerts to this URL (repeatable; the format is detected from the URL).",
        rich_help_panel=CHANNELS)] = None,
    webhook_env: Annotated[list[str] | None, typer.Option(
        "--webhook-env", metavar="VAR", help="A --webhook URL from this environment variable (repeatable; keeps its "
        "token out of ps and the crontab).", rich_help_panel=CHANNELS)] = None,
    webhook_file: Annotated[list[str] | None, typer.Option(
        "--webhook-file", metavar="FILE", help="A --webhook URL from this file (repeatable; its first 64 KiB, "
        "without the final newline).", rich_help_panel=CHANNELS)] = None,
    webhook_format: Annotated[str | None, typer.Option(
        "--webhook-format", metavar="FORMAT", help="json, slack, teams, discord or pagerduty, for every --webhook.",
        rich_help_panel=CHANNELS)] = None,
    pagerduty: Annotated[bool, typer.Option(
        "--pagerduty",
        help="Send to PagerDuty Events v2 (routing key from CRONCHECKS_PAGERDUTY_KEY or --pagerduty-key-file).",
        rich_help_panel=CHANNELS)] = False,
    pagerduty_key_file: Annotated[str | None, typer.Option(
        "--pagerduty-key-file", metavar="PATH", help="File holding the PagerDuty routing key.",
        rich_help_panel=CHANNELS)] = None,
    cloudwatch: Annotated[str | None, typer.Option(
        "--cloudwatch", metavar="NAMESPACE",
        help="Put every run's Status, Healthy and perfdata as CloudWatch metrics (the aws extra).",
        rich_help_panel=CHANNELS)] = None,
    dimension: Annotated[list[str] | None, typer.Option(
        "--dimension", metavar="K=V", help="Extra CloudWatch dimension (repeatable).",
        rich_help_panel=CHANNELS)] = None,
    dogstatsd: Annotated[str | None, typer.Option(
        "--dogstatsd", metavar="HOST:PORT", help="Send every run as a DogStatsD service check over UDP.",
        rich_help_panel=CHANNELS)] = None,
    alertmanager: Annotated[list[str] | None, typer.Option(
        "--alertmanager", metavar="URL", help="Post every run's state as an alert to this Alertmanager's "
        "/api/v2/alerts: refreshed while failing, resolved on recovery (repeatable; the base URL).",
        rich_help_panel=PROMETHEUS)] = None,
    alertmanager_label: Annotated[list[str] | None, typer.Option(
        "--alertmanager-label", metavar="K=V", help="Extra label on the Alertmanager alert (repeatable).",
        rich_help_panel=PROMETHEUS)] = None,
    alertmanager_refresh: Annotated[str | None, typer.Option(
        "--alertmanager-refresh", metavar="DURATION", help="How far ahead a firing alert's endsAt goes (default: "
        "4 times the check's usual interval, at least 5m).", rich_help_panel=PROMETHEUS)] = None,
    prometheus: Annotated[str | None, typer.Option(
        "--prometheus", metavar="FILE", help="Write this check's metrics (status, last success, ...) to this "
        "node_exporter textfile, atomically (one file per cron line; name it *.prom).",
        rich_help_panel=PROMETHEUS)] = None,
    prometheus_label: Annotated[list[str] | None, typer.Option(
        "--prometheus-label", metavar="K=V", help="Extra label on every --prometheus series (repeatable).",
        rich_help_panel=PROMETHEUS)] = None,
    pushgateway: Annotated[str | None, typer.Option(
        "--pushgateway", metavar="URL", help="PUT this check's metrics to a Pushgateway as job <name>, instance "
        "<host> (the prometheus extra).", rich_help_panel=PROMETHEUS)] = None,
    pushgateway_label: Annotated[list[str] | None, typer.Option(
        "--pushgateway-label", metavar="K=V", help="Extra grouping label of the push (repeatable).",
        rich_help_panel=PROMETHEUS)] = None,
    nsca: Annotated[str | None, typer.Option(
        "--nsca", metavar="HOST:PORT", help="Send every run to Nagios' nsca daemon as a passive result (password "
        "from CRONCHECKS_NSCA_PASSWORD or CRONCHECKS_NSCA_PASSWORD_FILE).", rich_help_panel=CHANNELS)] = None,
    nsca_encryption: Annotated[str | None, typer.Option(
        "--nsca-encryption", metavar="ENCRYPTION", help="none or xor (default: xor given a password, else none).",
        rich_help_panel=CHANNELS)] = None,
    nrdp: Annotated[str | None, typer.Option(
        "--nrdp", metavar="URL", help="Post every run to this NRDP URL as a passive result (token from "
        "CRONCHECKS_NRDP_TOKEN or CRONCHECKS_NRDP_TOKEN_FILE).", rich_help_panel=CHANNELS)] = None,
    # --- the channel configuration file
    config_file: Annotated[str | None, typer.Option(
        "--config", metavar="FILE", help="The channel configuration (env CRONCHECKS_CONFIG; default: the user "
        "config folder's cronchecks/config.toml, then /etc/cronchecks/config.toml).",
        rich_help_panel=CHANNELS)] = None,
    channel: Annotated[list[str] | None, typer.Option(
        "--channel", metavar="NAME", help="Alert through this channel of the config file (repeatable; default: "
        "its `default = true` channels). Channel options given here add to them.",
        rich_help_panel=CHANNELS)] = None,
    ping: Annotated[str | None, typer.Option(
        "--ping", metavar="URL", help="healthchecks.io-style ping URL: /start before, success or /fail after.",
        rich_help_panel=CHANNELS)] = None,
    ping_env: Annotated[str | None, typer.Option(
        "--ping-env", metavar="VAR", help="The --ping URL from this environment variable.",
        rich_help_panel=CHANNELS)] = None,
    ping_file: Annotated[str | None, typer.Option(
        "--ping-file", metavar="FILE", help="The --ping URL from this file.", rich_help_panel=CHANNELS)] = None,
    notify_timeout: Annotated[str, typer.Option(
        "--notify-timeout", metavar="DURATION",
        help="Time for all deliveries of this run, retries included; what is left waits in the outbox.",
        rich_help_panel=CHANNELS)] = "10s",
    outbox_expiry: Annotated[str, typer.Option(
        "--outbox-expiry", metavar="DURATION",
        help="Drop undelivered messages older than this (with a line on stderr).",
        rich_help_panel=CHANNELS)] = "24h",
    on_fail: Annotated[str | None, typer.Option(
        "--on-fail", metavar="COMMAND",
        help="Run this (no shell; split like a shell would) when the check fails, then re-run the check once.",
        rich_help_panel=FIXING)] = None,
    on_fail_after: Annotated[int, typer.Option(
        "--on-fail-after", metavar="N", help="Only after N consecutive failures.", rich_help_panel=FIXING)] = 1,
    on_fail_when: Annotated[str | None, typer.Option(
        "--on-fail-when", metavar="REGEX", help="Only when the check's output matches (e.g. '403' to reload nginx).",
        rich_help_panel=FIXING)] = None,
    on_fail_limit: Annotated[str, typer.Option(
        "--on-fail-limit", metavar="COUNT/DURATION", help="At most this many remediations per window.",
        rich_help_panel=FIXING)] = "3/1h",
    on_fail_ssh: Annotated[str | None, typer.Option(
        "--on-fail-ssh", metavar="HOST", help="Run the --on-fail command on this host through ssh (batch mode; "
        "the check itself still runs here).", rich_help_panel=FIXING)] = None,
    on_fail_ssh_option: Annotated[list[str] | None, typer.Option(
        "--on-fail-ssh-option", metavar="KEY=VALUE", help="An ssh -o option for --on-fail-ssh (repeatable, e.g. "
        "Port=2222).", rich_help_panel=FIXING)] = None,
    on_fail_ssh_config: Annotated[str | None, typer.Option(
        "--on-fail-ssh-config", metavar="FILE", help="The ssh config file for --on-fail-ssh (ssh -F).",
        rich_help_panel=FIXING)] = None,
) -> int:
    """Run a command (a check, or any job), pass its output and exit code through, and alert on failures."""
    import os
    import shlex

    from cronchecks.alerting.run import RunOptions, parse_limit, read_exports, run_wrapped
    from cronchecks.alerting.settings import NAME_LIMIT, read_alert_settings
    from cronchecks.core.values import OptionError, OptionValues

    if not command:
        raise UsageError("give the command to run after `--`")
    if name is not None and len(name) > NAME_LIMIT:
        raise UsageError(f"invalid --name {name[:40]!r}... ({len(name)} characters): at most {NAME_LIMIT}")
    # With the environment, as a suite file is read: --webhook-env VAR and --webhook-file FILE
    # stand for --webhook URL (and --ping-env/--ping-file for --ping), so that a URL's token
    # is in neither ps nor the crontab; a missing variable or unreadable file names its option.
    given = {"after": after, "remind": remind, "remind-every": remind_every, "notify-on": notify_on, "mail": mail,
         "webhook": webhook, "webhook-env": webhook_env, "webhook-file": webhook_file,
         "webhook-format": webhook_format, "pagerduty": pagerduty,
         "pagerduty-key-file": pagerduty_key_file, "cloudwatch": cloudwatch, "dimension": dimension,
         "dogstatsd": dogstatsd, "alertmanager": alertmanager, "alertmanager-label": alertmanager_label,
         "alertmanager-refresh": alertmanager_refresh, "nsca": nsca, "nsca-encryption": nsca_encryption,
         "nrdp": nrdp, "ping": ping, "ping-env": ping_env, "ping-file": ping_file,
         "recover-after": recover_after, "flapping": flapping, "no-flapping": no_flapping or None}
    # The config file's [defaults] stand for options not given here; its named channels add to these.
    from cronchecks.alerting.config import read_config

    configured = read_config(config_file, os.environ)
    picked = tuple(configured.pick(channel or ()))
    given = {**configured.defaults, **{key: value for key, value in given.items() if value not in (None, False, [])}}
    values = OptionValues(given, "cronchecks run", os.environ)
    alerts = read_alert_settings(values)._replace(windows=configured.windows)
    pings = [flag for flag, given in (("--ping", ping), ("--ping-env", ping_env), ("--ping-file", ping_file))
             if given is not None]
    if len(pings) > 1:
        raise UsageError(f"give one of {' and '.join(pings)}: they all name the ping URL")
    ping = values.text("ping") or next((named.ping for named in picked if named.ping), None)
    if on_fail_after < 1:
        raise OptionError("on-fail-after", f"{on_fail_after} is below 1")
    if on_fail_when:
        from cronchecks.support.patterns import compile_pattern

        compile_pattern("--on-fail-when regex", on_fail_when)  # refused before the command runs, not after
    try:
        remedy = tuple(shlex.split(on_fail)) if on_fail else ()
    except ValueError as error:
        raise UsageError(f"invalid --on-fail {on_fail!r}: {error}") from None
    named_push = next((named for named in picked if named.pushgateway), None)
    if pushgateway is None and named_push is not None:  # a pushgateway channel of the config file
        pushgateway, pushgateway_label = named_push.pushgateway, list(named_push.pushgateway_labels)
    exports = read_exports(prometheus, prometheus_label or [], pushgateway, pushgateway_label or [], os.environ)
    remote = _on_fail_ssh(on_fail_ssh, on_fail_ssh_option, on_fail_ssh_config, remedy)
    options = RunOptions(
        command=tuple(command),
        name=name,
        host=host,
        timeout=option_value("-t/--timeout", timeout, positive=True),
        nagios=nagios,
        state_dir=state_dir,
        keep=option_value("--keep", keep, positive=True),
        policy=alerts.policy,
        channels=alerts.channels,
        ping=ping,
        notify_timeout=option_value("--notify-timeout", notify_timeout, positive=True),
        outbox_expiry=option_value("--outbox-expiry", outbox_expiry, positive=True),
        on_fail=remedy,
        on_fail_after=on_fail_after,
        on_fail_when=on_fail_when,
        on_fail_limit=parse_limit(on_fail_limit),
        on_fail_ssh=remote,
        lock=lock,
        verbosity=verbose,
        exports=exports,
        **_quiet_options(alerts, depends_on, duration_warning, duration_critical, name),
        # the channel configuration file
        named_channels=picked,
    )
    return run_wrapped(options)


def _quiet_options(alerts, depends_on: list[str] | None, warning: str | None, critical: str | None,
                   name: str | None) -> dict:
    """Maintenance windows, --depends-on and the duration limits, checked before the command runs."""
    from functools import partial

    from cronchecks.core.thresholds import parse_range

    parents = tuple(depends_on or ())
    for parent in parents:
        if not parent.strip():
            raise UsageError("invalid --depends-on '': give the name of a check")
        if name is not None and parent == name:
            raise UsageError(f"invalid --depends-on {parent!r}: a check cannot depend on itself")
    duration = partial(parse_range, unit="duration")
    return {"windows": alerts.windows, "depends_on": parents,
            "duration_warning": option_value("--duration-warning", warning, duration),
            "duration_critical": option_value("--duration-critical", critical, duration)}


def _on_fail_ssh(host: str | None, options: list[str] | None, config: str | None, remedy: tuple[str, ...]):
    """The host the remediation runs on, from the --on-fail-ssh options (read as a suite's ssh keys are)."""
    from cronchecks.core.values import OptionError, OptionValues
    from cronchecks.support.ssh import ssh_target

    values = OptionValues({"on-fail-ssh": host, "on-fail-ssh-option": options, "on-fail-ssh-config": config},
                          "cronchecks run")
    target = ssh_target(values, host_key="on-fail-ssh", options_key="on-fail-ssh-option",
                        config_key="on-fail-ssh-config", named="--{}")
    if target is not None and not remedy:
        raise OptionError("on-fail-ssh", "goes with --on-fail (the command to run on the host)")
    return target
