"""Read and validate a suite file (TOML): every mistake is found, with file, line and key, before anything runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.thresholds import ParseError, parse_duration

# Keys of [defaults]: the alert settings (as `cronchecks run` has them) and the run's own.
RUN_KEYS = ("timeout", "timeout-result")
# A suite file is a few hundred lines; anything over this is a file named by mistake.
SUITE_FILE_LIMIT = 1024 * 1024
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
    ssh: Any = None  # cronchecks.support.ssh.SshTarget: a `command` run on another host
    depends_on: tuple[str, ...] = ()  # checks of the suite whose hard problem holds this one's messages
    windows: tuple[Any, ...] = ()  # maintenance windows of its alert settings
    # the config file's channels it is told through (`channels = ["ops"]`; empty: the default ones)
    named: tuple[str, ...] = ()


class Suite(NamedTuple):
    path: Path
    checks: tuple[CheckEntry, ...]
    group: bool = True  # [defaults] group: one message per channel for what a run owes it
    windows: tuple[Any, ...] = ()  # the config file's [[maintenance]] windows (MaintenanceWindow)


class _Locator:
    """Line numbers for tables and keys: tomllib gives values, not where they were written."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.check_starts = [i + 1 for i, line in enumerate(self.lines) if re.match(r"\s*\[\[\s*check\s*\]\]", line)]
        self.defaults = next((i + 1 for i, line in enumerate(self.lines)
                              if re.match(r"\s*\[\s*defaults\s*\]", line)), 0)

    def table(self, index: int | None) -> int:
        if index is None:
            return self.defaults
        return self.check_starts[index] if index < len(self.check_starts) else 0

    def key(self, index: int | None, key: str) -> int:
        from cronchecks.core.tomlkeys import key_line

        return key_line(self.lines, self.table(index), key)


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


def _read_text(path: Path) -> str:
    """The file's text, read whole only when it is a sane size and UTF-8 (not /dev/zero, a binary, a log)."""
    from cronchecks.core.files import FileRefused, read_bounded

    try:
        data = read_bounded(path, SUITE_FILE_LIMIT)
    except FileRefused as error:
        raise SuiteError(f"{path}: not a suite file: {str(error).removeprefix(str(path) + ' ')}") from None
    except OSError as error:
        raise SuiteError(f"cannot read suite file {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SuiteError(f"{path}:{line}: not a suite file: not UTF-8 text (byte 0x{data[error.start]:02x} at "
                         f"offset {error.start})") from None


def shown(value: Any, limit: int = 60) -> str:
    """A value as a mistake quotes it: its repr, cut to `limit` characters (a 100,000-character name is not echoed)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + "...'" + f" ({len(str(value))} characters)"


def load_suite(path: Path, env: Mapping[str, str], base: Mapping[str, Any] | None = None) -> Suite:
    """Parse, expand and validate a suite file; raise SuiteError at the first mistake.

    `base`: the config file's [defaults], under the suite's own (already validated there).
    """
    import tomllib

    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables by recursion
        raise SuiteError(f"{path}: not a suite file: arrays or tables nested too deeply") from None
    where = _Locator(text)

    def fail(index: int | None, key: str | None, message: str) -> SuiteError:
        line = where.key(index, key) if key else where.table(index)
        table = "[defaults]" if index is None else f"check #{index + 1}"
        return SuiteError(f"{path}:{line}: {table}" + (f", key '{key}'" if key else "") + f": {message}")

    unknown_top = set(data) - {"defaults", "check"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        line = next((i + 1 for i, text in enumerate(where.lines)
                     if re.match(rf"\s*\[?\[?\s*{re.escape(key)}\b", text)), 0)
        raise SuiteError(f"{path}:{line}: unknown top-level key or table '{key}' (use [defaults] and [[check]])")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise fail(None, None, "[defaults] must be a table")
    from cronchecks.alerting.settings import ALERT_KEYS

    # The channel configuration: [defaults] group = false sends a run's messages one by one.
    group = defaults.get("group", True)
    if not isinstance(group, bool):
        raise fail(None, "group", "must be true or false")
    defaults = {key: value for key, value in defaults.items() if key != "group"}
    allowed = {*ALERT_KEYS, *RUN_KEYS, *SSH_DEFAULT_KEYS, *CONFIG_KEYS} | {
        f"{key}{form}" for key in ALERT_KEYS for form in ("-env", "-file")}
    for key in defaults:
        if key not in allowed:
            raise fail(None, key, "unknown key (allowed: "
                                  f"{', '.join(sorted({*ALERT_KEYS, *RUN_KEYS, *SSH_DEFAULT_KEYS}))})")
    checks = data.get("check", [])
    if not isinstance(checks, list) or not checks:
        raise SuiteError(f"{path}: no [[check]] tables: nothing to run")
    entries: list[CheckEntry] = []
    names: set[str] = set()
    for index, table in enumerate(checks):
        entry = _check_entry(index, table, {**(base or {}), **defaults}, env, fail, path)
        if entry.name in names:
            raise fail(index, "name", f"the name {entry.name!r} is used twice")
        names.add(entry.name)
        entries.append(entry._replace(line=where.table(index)))
    _check_dependencies(entries, fail)
    return Suite(path, tuple(entries), group)


def _check_dependencies(entries: list[CheckEntry], fail) -> None:
    """Every `depends-on` names a check of the suite, and none goes round in a cycle: refused before anything runs."""
    from cronchecks.suite.dependencies import find_cycle

    known = {entry.name for entry in entries}
    for index, entry in enumerate(entries):
        for parent in entry.depends_on:
            if parent == entry.name:
                raise fail(index, "depends-on", f"{entry.name!r} cannot depend on itself")
            if parent not in known:
                raise fail(index, "depends-on", f"no check named {shown(parent)} in this suite")
    cycle = find_cycle({entry.name: entry.depends_on for entry in entries})
    if cycle:
        index = next(i for i, entry in enumerate(entries) if entry.name == cycle[0])
        raise fail(index, "depends-on", "a cycle: " + " -> ".join(cycle))


def _depends_on(index: int, table: dict, fail) -> tuple[str, ...]:
    value = table.get("depends-on", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise fail(index, "depends-on", 'must be a list of check names (depends-on = ["db"])')
    return tuple(dict.fromkeys(value))


def _check_entry(index: int, table: Any, defaults: dict, env: Mapping[str, str], fail, path: Path) -> CheckEntry:
    from cronchecks.alerting.settings import ALERT_KEYS, NAME_LIMIT, REPEATABLE_ALERT_KEYS, read_alert_settings
    from cronchecks.core.invocation import build_invocation
    from cronchecks.core.registry import CHECKS
    from cronchecks.core.result import Status
    from cronchecks.core.values import OptionError, OptionValues

    if not isinstance(table, dict):
        raise fail(index, None, "must be a table")
    for required in ("name", "type"):
        if required not in table:
            raise fail(index, None, f"missing '{required}'")
    name, kind = table["name"], table["type"]
    if not isinstance(name, str) or not name.strip() or any(ch in name for ch in "|;\n"):
        raise fail(index, "name", "must be a non-empty string without '|', ';' or newlines")
    if len(name) > NAME_LIMIT:
        raise fail(index, "name", f"{shown(name)} is too long (at most {NAME_LIMIT} characters)")
    if not isinstance(kind, str) or (kind != "command" and kind not in CHECKS):
        raise fail(index, "type", f"unknown check type {shown(kind)} (use {', '.join(sorted(CHECKS))} or command)")
    merged: dict[str, Any] = {}
    repeatable = {form for key in REPEATABLE_ALERT_KEYS for form in (key, f"{key}-env", f"{key}-file")}
    for source in (defaults, table):
        for key, written in source.items():
            try:
                value = expand(written, env)
            except KeyError as missing:
                raise fail(None if source is defaults else index, key,
                           f"environment variable {missing.args[0]} is not set (write ${{{missing.args[0]}:-default}} "
                           "for a default)") from None
            if key in repeatable and key in merged:  # [defaults]' channels and the check's own, both
                value = _as_list(merged[key]) + _as_list(value)
            merged[key] = value
    for key in ("name", "type"):
        merged.pop(key)
    merged.pop("depends-on", None)  # the suite's, not the check's: read here, checked once all are read
    depends_on = _depends_on(index, table, fail)
    named = _channel_names(merged.pop("channels", None), lambda message: fail(
        None if "channels" in defaults and "channels" not in table else index, "channels", message))
    # [defaults]' ssh-options and ssh-config are for the checks that name an ssh host; the others ignore them.
    if kind != "command" or not any(key in table for key in ("ssh", "ssh-env", "ssh-file")):
        for key in SSH_DEFAULT_KEYS:
            if key in defaults and key not in table:
                merged.pop(key, None)

    def where(key: str) -> int | None:
        """The table a key was written in: [defaults] only when it came from there (a missing key is the check's)."""
        return None if key in defaults and key not in table else index

    def timeout_of() -> float:
        try:
            seconds = parse_duration(str(merged.pop("timeout", "10s")))
            if seconds <= 0:
                raise ParseError("it must be above zero")
        except ParseError as error:
            raise fail(where("timeout"), "timeout", str(error)) from None
        return seconds

    timeout = timeout_of()
    try:
        timeout_status = Status.parse(str(merged.pop("timeout-result", "critical")))
    except ValueError as error:
        raise fail(where("timeout-result"), "timeout-result", str(error)) from None
    command = "cronchecks suite" if kind == "command" else f"check-{kind}"
    values = OptionValues(merged, command, env)
    try:
        alerts = read_alert_settings(values)
        if kind == "command":
            argv = merged.get("argv")
            values.texts("argv")
            if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
                raise fail(where("argv"), "argv" if "argv" in merged else None,
                           'a command needs argv = ["program", "arg", ...]')
            nagios = values.flag("nagios", True)
            label_given = values.given("label")
            label = values.text("label") or name.upper()
            ssh = _ssh_target(values)
            for key in values.unread():
                raise fail(where(key), key, "unknown key for a command (allowed: argv, nagios, label, timeout, "
                                            "timeout-result, depends-on, " + ", ".join(SSH_KEYS)
                           + " and the alert settings: "
                           + ", ".join(ALERT_KEYS) + ")")
            return CheckEntry(name, kind, 0, None, tuple(argv), timeout, timeout_status, nagios,
                              " ".join(label.split()), label_given, alerts.policy, alerts.channels, ssh,
                              depends_on, alerts.windows, named)
        for key in SSH_KEYS:
            if key in merged:
                raise fail(where(key), key, f'goes with type = "command" (argv = ["check-{kind}", ...] runs '
                                            f"check-{kind} on the host)")
        for key in merged:
            if key in _NOT_IN_SUITES:
                raise fail(where(key), key, f"not a key of a suite file (the suite's own {key} applies)")
        invocation = build_invocation(kind, values)
    except OptionError as error:
        raise fail(where(error.option), error.option, error.reason) from None
    except UsageError as error:
        raise fail(index, None, error.message) from None
    label = invocation.standard.label or CHECKS[kind].label
    return CheckEntry(name, kind, 0, invocation, (), timeout, timeout_status, True, label, True, alerts.policy,
                      alerts.channels, None, depends_on, alerts.windows, named)


# The channel configuration file: a check's (or [defaults]') channels by name.
CONFIG_KEYS = ("channels",)


def _channel_names(value: Any, fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail('must be a list of channel names of the config file (channels = ["ops"])')
    return tuple(v.strip() for v in value)


# A `command` run on another host through ssh (cronchecks.support.ssh).
SSH_KEYS = ("ssh", "ssh-options", "ssh-config")
SSH_DEFAULT_KEYS = ("ssh-options", "ssh-config")  # [defaults] may hold these: every check with `ssh` gets them


def _ssh_target(values: Any) -> Any:
    from cronchecks.support.ssh import ssh_target

    return ssh_target(values, host_key="ssh", options_key="ssh-options", config_key="ssh-config")


# Options of a check command that a suite sets for all its checks at once, not per check.
_NOT_IN_SUITES = ("format", "verbose", "version", "help")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
