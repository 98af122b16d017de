"""The channel configuration file (TOML): [defaults], [channels.NAME] and [[maintenance]], each mistake named by line.

One file instead of repeating channels on every cron line: `cronchecks run --channel ops` and a suite's
`channels = ["ops"]` pick channels by name; `default = true` ones serve when none is named.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cronchecks.alerting.channels.options import ROUTE_KINDS, ROUTE_STATES, ChannelOptions, Route
from cronchecks.core.errors import UsageError

if TYPE_CHECKING:  # read only when a file has [[maintenance]] tables: cron pays nothing for it otherwise
    from cronchecks.alerting.windows import MaintenanceWindow

CONFIG_FILE_LIMIT = 1024 * 1024
SYSTEM_CONFIG = "/etc/cronchecks/config.toml"
# The keys each channel type takes: `run`'s long option names (and their -env/-file forms).
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "mail": ("mail",),
    "webhook": ("webhook", "webhook-format"),
    "pagerduty": ("pagerduty-key-file",),
    "cloudwatch": ("cloudwatch", "dimension"),
    "ping": ("ping",),
    "dogstatsd": ("dogstatsd",),
    "alertmanager": ("alertmanager", "alertmanager-label", "alertmanager-refresh"),
    "pushgateway": ("pushgateway", "pushgateway-label"),
    "nsca": ("nsca", "nsca-encryption"),
    "nrdp": ("nrdp",),
}
ROUTING_KEYS = ("type", "default", "states", "on")
# Keys whose value may come from the environment or a file (their value holds a token).
_INDIRECT = ("webhook", "ping", "pushgateway", "nrdp", "alertmanager", "mail")
# A key named like this holds a secret when written out (not through -env/-file).
_SECRET_WORDS = re.compile(r"password|passwd|token|secret|key", re.IGNORECASE)
# Channels whose URL is the credential (Slack, Teams, Discord and healthchecks carry their token in the path).
_TOKEN_IN_PATH = ("webhook", "ping")


class ConfigError(UsageError):
    """Mistakes of the config file, each `FILE:LINE: table, key 'k': what`; the message is the first of them."""

    def __init__(self, mistakes: Sequence[str]) -> None:
        more = f" (and {len(mistakes) - 1} more: see `cronchecks config --check`)" if len(mistakes) > 1 else ""
        super().__init__(mistakes[0] + more)
        self.mistakes = list(mistakes)


class NamedChannel(NamedTuple):
    """One [channels.NAME] table, validated."""

    name: str
    type: str
    options: ChannelOptions
    route: Route
    default: bool
    line: int
    ping: str | None = None  # type = "ping": the ping URL
    pushgateway: str | None = None  # type = "pushgateway": the URL
    pushgateway_labels: tuple[str, ...] = ()


class Config(NamedTuple):
    path: Path | None  # None: no config file
    channels: dict[str, NamedChannel]
    defaults: dict[str, Any]  # alert settings, by run's long option names
    windows: tuple[MaintenanceWindow, ...]

    def pick(self, names: Sequence[str], where: str = "--channel") -> list[NamedChannel]:
        """The channels named (or the default ones when none is); an unknown name is a UsageError."""
        if not names:
            return [channel for channel in self.channels.values() if channel.default]
        picked = []
        for name in dict.fromkeys(names):
            if name not in self.channels:
                known = ", ".join(sorted(self.channels)) or "none: no config file was found"
                raise UsageError(f"invalid {where} {name!r}: no such channel in the config file ({known})")
            picked.append(self.channels[name])
        return picked


EMPTY = Config(None, {}, {}, ())


def config_path(given: str | None, env: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config file to read and whether it was asked for (a missing asked-for file is a mistake)."""
    if given:
        return Path(given).expanduser(), True
    if env.get("CRONCHECKS_CONFIG"):
        return Path(env["CRONCHECKS_CONFIG"]).expanduser(), True
    from platformdirs import user_config_dir

    for candidate in (Path(user_config_dir("cronchecks", appauthor=False)) / "config.toml", Path(SYSTEM_CONFIG)):
        if candidate.is_file():
            return candidate, False
    return None, False


def read_config(given: str | None, env: Mapping[str, str]) -> Config:
    """The config file `--config`, CRONCHECKS_CONFIG or the usual places name; EMPTY when there is none."""
    path, asked = config_path(given, env)
    if path is None:
        return EMPTY
    if not asked and not path.exists():
        return EMPTY
    return load_config(path, env)


def load_config(path: Path, env: Mapping[str, str]) -> Config:
    """Parse and validate a config file; every mistake is collected, then raised as one ConfigError."""
    import tomllib

    from cronchecks.core.files import FileRefused, read_bounded

    try:
        data_bytes = read_bounded(path, CONFIG_FILE_LIMIT)
        text = data_bytes.decode("utf-8")
    except FileRefused as error:
        raise ConfigError([f"{path}: not a config file: {str(error).removeprefix(str(path) + ' ')}"]) from None
    except OSError as error:
        raise ConfigError([f"cannot read config file {path}: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not a config file: not UTF-8 text"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{path}: not valid TOML: {error}"]) from None
    except RecursionError:
        raise ConfigError([f"{path}: not a config file: arrays or tables nested too deeply"]) from None
    reader = _Reader(path, text, env)
    secret = _secret_key(data)
    if secret is not None:
        _refuse_if_readable(path, reader.line_of(*secret))
    return reader.read(data)


def _secret_key(data: dict[str, Any]) -> tuple[str | None, str] | None:
    """(channel name or None for [defaults], key) of the first value that is a secret written out."""
    from urllib.parse import urlsplit

    tables: list[tuple[str | None, Any]] = [(None, data.get("defaults"))]
    channels = data.get("channels")
    if isinstance(channels, dict):
        tables += list(channels.items())
    for name, table in tables:
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            if key.endswith(("-env", "-file")):
                continue
            if _SECRET_WORDS.search(key) and value not in (None, "", False):
                return name, key
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str) or "://" not in item:
                    continue
                try:
                    parts = urlsplit(item)
                except ValueError:
                    continue
                if parts.password or parts.query or (key in _TOKEN_IN_PATH and parts.path.strip("/")):
                    return name, key
    return None


def _refuse_if_readable(path: Path, line: int) -> None:
    """As ssh refuses a key others can read: a secret in a file group or others may read is refused."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if os.name == "posix" and mode & 0o077:
        message = (f"{path}:{line}: refused: it holds a secret and others may read it (mode {mode & 0o777:04o}); "
                   f"chmod 600 {path}, or give the secret through a *-env or *-file key")
        raise ConfigError([message])


class _Reader:
    def __init__(self, path: Path, text: str, env: Mapping[str, str]) -> None:
        from cronchecks.core.tomlkeys import table_starts

        self.path = path
        self.env = env
        self.lines = text.splitlines()
        self.defaults_line = next(iter(table_starts(self.lines, r"\s*\[\s*defaults\s*\]")), 0)
        self.windows_lines = table_starts(self.lines, r"\s*\[\[\s*maintenance\s*\]\]")
        self.mistakes: list[str] = []

    def channel_line(self, name: str) -> int:
        from cronchecks.core.tomlkeys import table_starts

        quoted = re.escape(name)
        found = table_starts(self.lines, rf"""\s*\[\s*channels\s*\.\s*(?:{quoted}|"{quoted}"|'{quoted}')\s*\]""")
        return found[0] if found else 0

    def line_of(self, channel: str | None, key: str | None = None) -> int:
        from cronchecks.core.tomlkeys import key_line

        start = self.defaults_line if channel is None else self.channel_line(channel)
        return key_line(self.lines, start, key) if key else start

    def _line_in(self, mistake: str) -> int:
        """A mistake's line, for listing them in the file's order."""
        number = mistake[len(str(self.path)) + 1:].split(":", 1)[0]
        return int(number) if number.isdigit() else 0

    def fail(self, line: int, table: str, key: str | None, message: str) -> None:
        self.mistakes.append(f"{self.path}:{line}: {table}" + (f", key '{key}'" if key else "") + f": {message}")

    def read(self, data: dict[str, Any]) -> Config:
        for key in sorted(set(data) - {"defaults", "channels", "maintenance"}):
            line = next((i + 1 for i, text in enumerate(self.lines)
                         if re.match(rf"\s*\[?\[?\s*{re.escape(key)}\b", text)), 0)
            self.fail(line, "config", None, f"unknown top-level key or table '{key}' (use [defaults], "
                                            "[channels.NAME] and [[maintenance]])")
        defaults = self._defaults(data.get("defaults", {}))
        channels: dict[str, NamedChannel] = {}
        tables = data.get("channels", {})
        if not isinstance(tables, dict):
            self.fail(0, "[channels]", None, "must hold [channels.NAME] tables")
            tables = {}
        for name, table in tables.items():
            channel = self._channel(name, table)
            if channel is not None:
                channels[name] = channel
        windows = self._windows(data.get("maintenance", []))
        if self.mistakes:
            raise ConfigError(sorted(self.mistakes, key=self._line_in))
        return Config(self.path, channels, defaults, windows)

    def _defaults(self, table: Any) -> dict[str, Any]:
        from cronchecks.alerting.settings import read_alert_settings
        from cronchecks.core.values import OptionError, OptionValues

        if not isinstance(table, dict):
            self.fail(self.defaults_line, "[defaults]", None, "must be a table")
            return {}
        from cronchecks.alerting.settings import ALERT_KEYS

        known = {f"{key}{suffix}" for key in ALERT_KEYS for suffix in ("", "-env", "-file")}
        for key in table:
            if key not in known:
                self.fail(self.line_of(None, key), "[defaults]", key, "not an alert setting of `cronchecks run` "
                          f"({', '.join(ALERT_KEYS)})")
        values = OptionValues({k: v for k, v in table.items() if k in known}, "cronchecks config", self.env)
        try:
            read_alert_settings(values)
        except OptionError as error:
            self.fail(self.line_of(None, error.option), "[defaults]", error.option, error.reason)
            return {}
        except UsageError as error:
            self.fail(self.defaults_line, "[defaults]", None, error.message)
            return {}
        return {k: v for k, v in table.items() if k in known}

    def _channel(self, name: str, table: Any) -> NamedChannel | None:
        from cronchecks.alerting.settings import read_alert_settings
        from cronchecks.core.values import OptionError, OptionValues

        where = f"[channels.{name}]"
        line = self.channel_line(name)
        if not isinstance(table, dict):
            self.fail(line, where, None, "must be a table")
            return None
        kind = table.get("type")
        if not isinstance(kind, str) or kind not in TYPE_KEYS:
            self.fail(self.line_of(name, "type") if "type" in table else line, where, "type" if "type" in table
                      else None, f"{'unknown type ' + repr(kind) if kind is not None else 'missing type'} (use "
                      + ", ".join(TYPE_KEYS) + ")")
            return None
        own = TYPE_KEYS[kind]
        allowed = {*ROUTING_KEYS, *own, *(f"{key}{suffix}" for key in own if key in _INDIRECT
                                           for suffix in ("-env", "-file"))}
        ok = True
        for key in table:
            if key not in allowed:
                self.fail(self.line_of(name, key), where, key, f"not a key of a {kind} channel (allowed: "
                          + ", ".join(sorted(allowed)) + ")")
                ok = False
        main = own[0] if kind != "pagerduty" else None
        if main and not any(key in table for key in (main, f"{main}-env", f"{main}-file")):
            self.fail(line, where, None, f"a {kind} channel needs {main} = ... (or {main}-env / {main}-file)")
            ok = False
        route = self._route(name, table)
        default = table.get("default", False)
        if not isinstance(default, bool):
            self.fail(self.line_of(name, "default"), where, "default", "must be true or false")
            ok = False
        if not ok or route is None:
            return None
        values_in = {key: value for key, value in table.items() if key not in ROUTING_KEYS}
        if kind == "pagerduty":
            values_in["pagerduty"] = True
        values = OptionValues(values_in, f"channel {name}", self.env)
        try:
            options = read_alert_settings(values).channels
            ping = values.text("ping")
            pushgateway = values.text("pushgateway")
            labels = values.texts("pushgateway-label")
        except OptionError as error:
            self.fail(self.line_of(name, error.option), where, error.option, error.reason)
            return None
        except UsageError as error:
            self.fail(line, where, None, error.message)
            return None
        return NamedChannel(name, kind, options, route, bool(default), line, ping, pushgateway, labels)

    def _route(self, name: str, table: dict[str, Any]) -> Route | None:
        where = f"[channels.{name}]"
        found: dict[str, frozenset[str] | None] = {}
        for key, choices in (("states", ROUTE_STATES), ("on", ROUTE_KINDS)):
            value = table.get(key)
            if value is None:
                found[key] = None
                continue
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
                self.fail(self.line_of(name, key), where, key, f"must be a list of: {', '.join(choices)}")
                return None
            words = {item.strip().lower() for item in items}
            unknown = sorted(words - set(choices))
            if unknown:
                self.fail(self.line_of(name, key), where, key, f"unknown {', '.join(map(repr, unknown))} (use "
                          f"{', '.join(choices)})")
                return None
            found[key] = frozenset(words)
        return Route(found["states"], found["on"])

    def _windows(self, tables: Any) -> tuple[MaintenanceWindow, ...]:
        from cronchecks.alerting.windows import parse_maintenance

        if not isinstance(tables, list):
            self.fail(0, "[[maintenance]]", None, "must be [[maintenance]] tables")
            return ()
        windows = []
        for index, table in enumerate(tables):
            line = self.windows_lines[index] if index < len(self.windows_lines) else 0
            if not isinstance(table, dict):
                self.fail(line, f"maintenance #{index + 1}", None, "must be a table")
                continue
            try:
                windows.append(parse_maintenance(table, f"{self.path}:{line}"))
            except UsageError as error:
                self.mistakes.append(_window_line(error.message, self.lines, line))
        return tuple(windows)


def _window_line(message: str, lines: list[str], start: int) -> str:
    """parse_maintenance names the table's line; the key's line, when the message quotes a key, is better."""
    from cronchecks.core.tomlkeys import key_line

    head, _, rest = message.partition(": ")
    path = head.rsplit(":", 1)[0]
    unknown = re.match(r"unknown key '([^']+)'", rest)
    named = [unknown.group(1)] if unknown else [key for key in ("checks", "schedule", "duration", "timezone")
                                                 if re.search(rf"\b{key}\b", rest.split("(")[0])]
    if named:
        return f"{path}:{key_line(lines, start, named[0])}: [[maintenance]], key '{named[0]}': {rest}"
    return message


def build_named(channels: Sequence[NamedChannel], env: Mapping[str, str], host: str) -> list:
    """The Channel objects of named channels, each told only what its route lets through."""
    from cronchecks.alerting.channels.options import RoutedChannel, build_channels

    built = []
    for named in channels:
        try:
            inner = build_channels(named.options, env, host)
        except UsageError as error:
            raise UsageError(f"channel {named.name!r}: {error.message}") from None
        built += [RoutedChannel(channel, named.route, named.name) for channel in inner]
    return built


def channel_mistakes(config: Config, env: Mapping[str, str], host: str) -> list[str]:
    """What building each channel finds (a bad webhook-format, a missing PagerDuty key), named by its table."""
    mistakes = []
    for named in config.channels.values():
        try:
            build_named([named], env, host)
            if named.pushgateway is not None:
                from cronchecks.alerting.channels.pushgateway import pushgateway_target

                pushgateway_target(named.pushgateway, list(named.pushgateway_labels), env)
        except UsageError as error:
            message = error.message.removeprefix(f"channel {named.name!r}: ")
            mistakes.append(f"{config.path}:{named.line}: [channels.{named.name}]: {message}")
    return mistakes


def describe(config: Config) -> list[str]:
    """What the file holds, one line each, secret-free: for `cronchecks config --check`."""
    lines = []
    for named in config.channels.values():
        route = []
        if named.route.states is not None:
            route.append("states " + ",".join(s for s in ROUTE_STATES if s in named.route.states))
        if named.route.on is not None:
            route.append("on " + ",".join(k for k in ROUTE_KINDS if k in named.route.on))
        lines.append(f"channel {named.name}: {named.type}" + (", default" if named.default else "")
                     + (f" ({'; '.join(route)})" if route else ""))
    for key, value in config.defaults.items():
        shown = value if key.endswith(("-env", "-file")) or not _SECRET_WORDS.search(key) else "***"
        lines.append(f"default {key} = {shown!r}")
    for window in config.windows:
        zone = f" {window.timezone}" if window.timezone else ""
        from cronchecks.core.thresholds import format_duration

        lines.append(f"maintenance {', '.join(window.checks)}: '{window.schedule}'{zone} for "
                     f"{format_duration(window.duration)}" + (f" ({window.comment})" if window.comment else ""))
    return lines
