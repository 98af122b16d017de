"""Read and validate a suite file (TOML): every mistake is found, with file, line and key, before anything runs."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from cronchecks.core.errors import CheckError

# Alert settings: the same options as `cronchecks run`, allowed in [defaults] and in a check.
ALERT_KEYS = {
    "after", "remind", "remind-every", "notify-on", "mail", "webhook", "webhook-format", "pagerduty",
    "pagerduty-key-file", "cloudwatch", "dimension", "dogstatsd",
}
LIST_ALERT_KEYS = {"mail", "webhook", "dimension"}
RUN_KEYS = {"timeout", "timeout-result"}
COMMAND_KEYS = {"argv", "nagios", "label"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


class SuiteError(CheckError):
    """A mistake in the suite file; the message names the file, the line and the key."""


class CheckEntry(NamedTuple):
    """One [[check]] table, validated; `invocation` is the parsed command line for our own checks."""

    name: str
    type: str
    line: int
    invocation: Any  # checks.cli.standard.CheckInvocation for our checks, None for `command`
    argv: tuple[str, ...]  # for `command`: the plugin and its arguments
    timeout: float
    timeout_status: Any  # cronchecks.core.result.Status
    nagios: bool
    label: str
    label_given: bool  # the suite file named the label (else an external plugin's own is used)
    policy: Any  # checks.alerting.policy.Policy
    channels: Any  # cronchecks.alerting.channels.options.ChannelOptions


class Suite(NamedTuple):
    path: Path
    checks: tuple[CheckEntry, ...]


class _Locator:
    """Line numbers for tables and keys: tomllib gives values, not where they were written."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.check_starts = [i + 1 for i, line in enumerate(self.lines) if re.match(r"\s*\[\[\s*check\s*\]\]", line)]
        self.defaults = next((i + 1 for i, line in enumerate(self.lines) if re.match(r"\s*\[\s*defaults\s*\]", line)), 0)

    def table(self, index: int | None) -> int:
        if index is None:
            return self.defaults
        return self.check_starts[index] if index < len(self.check_starts) else 0

    def key(self, index: int | None, key: str) -> int:
        start = self.table(index)
        pattern = re.compile(rf"""\s*(?:"{re.escape(key)}"|'{re.escape(key)}'|{re.escape(key)})\s*=""")
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if number >= start and re.match(r"\s*\[", line) and number + 1 != start:
                break
            if pattern.match(line):
                return number + 1
        return start


def expand(value: Any, env: Mapping[str, str]) -> Any:
    """`${VAR}` and `${VAR:-default}` in strings (and lists of them) from the environment."""
    if isinstance(value, str):
        def replace(match: re.Match) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise KeyError(name)

        return _VARIABLE.sub(replace, value)
    if isinstance(value, list):
        return [expand(item, env) for item in value]
    return value


def load_suite(path: Path, env: Mapping[str, str]) -> Suite:
    """Parse, expand and validate a suite file; raise SuiteError at the first mistake."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SuiteError(f"cannot read suite file {path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"{path}: not valid TOML: {error}") from None
    where = _Locator(text)

    def fail(index: int | None, key: str | None, message: str) -> SuiteError:
        line = where.key(index, key) if key else where.table(index)
        table = "[defaults]" if index is None else f"check #{index + 1}"
        return SuiteError(f"{path}:{line}: {table}" + (f", key '{key}'" if key else "") + f": {message}")

    unknown_top = set(data) - {"defaults", "check"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        line = next((i + 1 for i, l in enumerate(where.lines) if re.match(rf"\s*\[?\[?\s*{re.escape(key)}\b", l)), 0)
        raise SuiteError(f"{path}:{line}: unknown top-level key or table '{key}' (use [defaults] and [[check]])")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise fail(None, None, "[defaults] must be a table")
    for key, value in defaults.items():
        if key not in ALERT_KEYS | RUN_KEYS and not _secret_form(key, ALERT_KEYS):
            raise fail(None, key, f"unknown key (allowed: {', '.join(sorted(ALERT_KEYS | RUN_KEYS))})")
    checks = data.get("check", [])
    if not isinstance(checks, list) or not checks:
        raise SuiteError(f"{path}: no [[check]] tables: nothing to run")
    entries: list[CheckEntry] = []
    names: set[str] = set()
    for index, table in enumerate(checks):
        entry = _check_entry(index, table, defaults, env, fail, path)
        if entry.name in names:
            raise fail(index, "name", f"the name {entry.name!r} is used twice")
        names.add(entry.name)
        entries.append(entry._replace(line=where.table(index)))
    return Suite(path, tuple(entries))


def _secret_form(key: str, known: set[str]) -> str | None:
    """`webhook-env` / `webhook-file` stand for `webhook`, read from a variable or a file."""
    for suffix in ("-env", "-file"):
        if key.endswith(suffix) and key[: -len(suffix)] in known:
            return key[: -len(suffix)]
    return None


def _resolve_secret(key: str, value: Any, env: Mapping[str, str]) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string naming a variable or a file")
    if key.endswith("-env"):
        if value not in env:
            raise ValueError(f"environment variable {value} is not set")
        return env[value]
    try:
        return Path(value).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise ValueError(f"cannot read {value}: {error.strerror or error}") from None


def _check_entry(index: int, table: Any, defaults: dict, env: Mapping[str, str], fail, path: Path) -> CheckEntry:
    from cronchecks.core.registry import CHECKS
    from cronchecks.core.result import Status
    from cronchecks.core.thresholds import ParseError, parse_duration

    if not isinstance(table, dict):
        raise fail(index, None, "must be a table")
    for required in ("name", "type"):
        if required not in table:
            raise fail(index, None, f"missing '{required}'")
    name, kind = table["name"], table["type"]
    if not isinstance(name, str) or not name.strip() or any(ch in name for ch in "|;\n"):
        raise fail(index, "name", "must be a non-empty string without '|', ';' or newlines")
    if kind != "command" and kind not in CHECKS:
        raise fail(index, "type", f"unknown check type {kind!r} (use {', '.join(sorted(CHECKS))} or command)")
    merged: dict[str, Any] = {}
    for source in (defaults, table):
        for key, value in source.items():
            try:
                merged[key] = expand(value, env)
            except KeyError as missing:
                raise fail(None if source is defaults else index, key,
                           f"environment variable {missing.args[0]} is not set (write ${{{missing.args[0]}:-default}} "
                           "for a default)") from None
    alerts: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in merged.items():
        if key in ("name", "type"):
            continue
        target = _secret_form(key, ALERT_KEYS)
        if key in ALERT_KEYS or target:
            if target:
                try:
                    value = _resolve_secret(key, value, env)
                except ValueError as error:
                    raise fail(index if key in table else None, key, str(error)) from None
                key = target
            if key in LIST_ALERT_KEYS:
                value = (alerts.get(key, []) + (value if isinstance(value, list) else [value]))
            alerts[key] = value
        else:
            options[key] = value
    timeout_text = str(options.pop("timeout", "10s"))
    try:
        timeout = parse_duration(timeout_text)
        if timeout <= 0:
            raise ParseError("it must be above zero")
    except ParseError as error:
        raise fail(index if "timeout" in table else None, "timeout", str(error)) from None
    try:
        timeout_status = Status.parse(str(options.pop("timeout-result", "critical")))
    except ValueError as error:
        raise fail(index, "timeout-result", str(error)) from None
    if kind == "command":
        argv = options.pop("argv", None)
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise fail(index, "argv" if "argv" in table else None, "a command needs argv = [\"program\", \"arg\", ...]")
        nagios = options.pop("nagios", True)
        label_given = "label" in options
        label = options.pop("label", name.upper())
        if options:
            key = sorted(options)[0]
            raise fail(index, key, "unknown key for a command (allowed: argv, nagios, label, timeout, "
                                   "timeout-result and the alert settings)")
        policy, channels = _alert_settings(index, table, alerts, fail)
        return CheckEntry(name, kind, 0, None, tuple(argv), timeout, timeout_status, bool(nagios), str(label),
                          label_given, policy, channels)
    invocation = _parse_check_options(index, kind, table, options, env, fail)
    label = invocation.standard.label or CHECKS[kind].label
    policy, channels = _alert_settings(index, table, alerts, fail)
    return CheckEntry(name, kind, 0, invocation, (), timeout, timeout_status, True, label, True, policy, channels)


def _alert_settings(index: int, table: dict, alerts: dict[str, Any], fail):
    """The alert keys as run's Policy and ChannelOptions, checked the way `run` checks its options."""
    from cronchecks.alerting.channels.options import ChannelOptions
    from cronchecks.alerting.policy import Policy, parse_notify_on
    from cronchecks.core.thresholds import ParseError, parse_duration

    def where(key: str) -> int | None:
        return index if key in table or f"{key}-env" in table or f"{key}-file" in table else None

    def count(key: str, default: int | None) -> int | None:
        value = alerts.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail(where(key), key, "must be a whole number of runs, 1 or more")
        return value

    remind = alerts.get("remind")
    try:
        remind_seconds = parse_duration(str(remind)) if remind is not None else None
    except ParseError as error:
        raise fail(where("remind"), "remind", str(error)) from None
    try:
        kinds = parse_notify_on(str(alerts.get("notify-on", "all")))
    except ValueError as error:
        raise fail(where("notify-on"), "notify-on", str(error)) from None
    for key in ("mail", "webhook", "dimension"):
        if not all(isinstance(item, str) for item in alerts.get(key, [])):
            raise fail(where(key), key, "must be a string or a list of strings")
    for key in ("webhook-format", "pagerduty-key-file", "cloudwatch", "dogstatsd"):
        if key in alerts and not isinstance(alerts[key], str):
            raise fail(where(key), key, "must be a string")
    if "pagerduty" in alerts and not isinstance(alerts["pagerduty"], bool):
        raise fail(where("pagerduty"), "pagerduty", "must be true or false")
    policy = Policy(after=count("after", 1) or 1, remind=remind_seconds, remind_every=count("remind-every", None),
                    notify_on=kinds)
    channels = ChannelOptions(
        mail=tuple(alerts.get("mail", ())), webhooks=tuple(alerts.get("webhook", ())),
        webhook_format=alerts.get("webhook-format"), pagerduty=bool(alerts.get("pagerduty", False)),
        pagerduty_key_file=alerts.get("pagerduty-key-file"), cloudwatch=alerts.get("cloudwatch"),
        dimensions=tuple(alerts.get("dimension", ())), dogstatsd=alerts.get("dogstatsd"))
    return policy, channels


@lru_cache(maxsize=None)
def _command_for(kind: str):
    """The check's click command, built once per type: a suite of 200 heartbeats parses 200 times."""
    from cronchecks.cli import _single_check_command

    return _single_check_command(kind)


def _parse_check_options(index: int, kind: str, table: dict, options: dict[str, Any], env: Mapping[str, str],
                         fail):
    """Turn the table's keys into the check's own command line and parse it with the CLI's parser.

    The same parser as the command line, so a key means exactly what its option means.
    """
    from cronchecks.core.invocation import CheckInvocation
    from cronchecks.core.errors import UsageError

    command = _command_for(kind)
    by_name: dict[str, Any] = {}
    positional = None
    for param in command.params:
        if param.param_type_name == "argument":
            positional = param
            by_name[param.name.replace("_", "-")] = param
            continue
        for opt in param.opts:
            if opt.startswith("--"):
                by_name[opt[2:]] = param
        for opt in getattr(param, "secondary_opts", []):
            if opt.startswith("--"):
                by_name.setdefault(opt[2:], param)
    argv: list[str] = []
    tail: list[str] = []
    for key, value in options.items():
        target = _secret_form(key, set(by_name)) if key not in by_name else None
        if target:
            try:
                value = _resolve_secret(key, value, env)
            except ValueError as error:
                raise fail(index, key, str(error)) from None
            key = target
        param = by_name.get(key)
        if param is None or key in ("help", "version", "format", "verbose"):
            raise fail(index, key, f"not an option of check-{kind} (see check-{kind} --help)")
        if param is positional:
            tail += [str(v) for v in (value if isinstance(value, list) else [value])]
            continue
        values = value if isinstance(value, list) else [value]
        if getattr(param, "is_flag", False) or isinstance(value, bool):
            if not isinstance(value, bool):
                raise fail(index, key, "must be true or false")
            if value:
                argv.append(f"--{key}")
            elif getattr(param, "secondary_opts", None):
                argv.append(param.secondary_opts[0])
            continue
        if len(values) > 1 and not getattr(param, "multiple", False):
            raise fail(index, key, "takes one value, not a list")
        for item in values:
            if isinstance(item, (dict, list)):
                raise fail(index, key, "must be a string, a number or a list of them")
            argv += [f"--{key}", str(item)]
    try:
        invocation = command.main(args=argv + (["--"] + tail if tail else []), prog_name=f"check-{kind}",
                                  standalone_mode=False)
    except UsageError as error:
        raise fail(index, None, error.message) from None
    except Exception as error:  # click's usage errors: a bad value for an option
        if hasattr(error, "format_message"):
            param = getattr(error, "param", None)
            key = next((o[2:] for o in getattr(param, "opts", []) if o.startswith("--")), None) if param else None
            raise fail(index, key if key in table else None, " ".join(error.format_message().split())) from None
        raise
    if not isinstance(invocation, CheckInvocation):
        raise fail(index, None, f"check-{kind} did not accept these options")
    return invocation
