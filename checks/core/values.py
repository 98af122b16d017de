"""Option values by long name, as a command line or a suite table gives them: each read once, typed, checked.

One reader serves both ways in: the typer command hands over what argv said, the suite hands
over a TOML table; a check's options type is built from it by its own `from_mapping`, so a
suite key means exactly what its option means, and a mistake names the option either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.thresholds import ParseError, parse_duration

Value = TypeVar("Value")

# A value read from a file (a `*-file` suite key, a secret) is at most this long: a
# file named by mistake (/dev/zero, a log) must not be read into memory whole.
VALUE_FILE_LIMIT = 64 * 1024


class OptionError(UsageError):
    """A bad value for one option; `option` is its long name without the dashes (a suite file's key)."""

    def __init__(self, option: str, message: str, flag: str | None = None) -> None:
        super().__init__(f"invalid {flag or '--' + option}: {message}")
        self.option = option
        self.reason = message  # the words without the option's name, for a suite file's "key 'x': ..."


@overload
def option_value(flag: str, text: str, *, positive: bool = False) -> float: ...
@overload
def option_value(flag: str, text: str, parse: Callable[[str], Value], *, positive: bool = False) -> Value: ...
@overload
def option_value(flag: str, text: None, parse: Callable[[str], Value] = ..., *, positive: bool = False) -> None: ...
@overload
def option_value(flag: str, text: str | None, *, positive: bool = False) -> float | None: ...
@overload
def option_value(flag: str, text: str | None, parse: Callable[[str], Value], *,
                 positive: bool = False) -> Value | None: ...


def option_value(flag: str, text: str | None, parse: Callable[[str], Any] = parse_duration, *,
                 positive: bool = False) -> Any:
    """`text` read by `parse` (a duration unless said otherwise); None stays None.

    `positive` refuses zero and below, as time limits and windows must be. The overloads say
    what a caller gets: a value for a text (a float for a duration), None only for None.
    """
    if text is None:
        return None
    try:
        value = parse(text)
    except (ParseError, OverflowError) as error:
        raise UsageError(f"invalid {flag}: {error}") from None
    if positive and value <= 0:
        raise UsageError(f"invalid {flag}: {text!r} (it must be above zero)")
    return value


def read_value_file(path: str, limit: int = VALUE_FILE_LIMIT) -> str:
    """A short value kept in a file (a URL with a token, a password): its text without the final newline."""
    from cronchecks.core.files import FileRefused, read_bounded

    try:
        data = read_bounded(path, limit)
    except FileRefused as error:
        raise ValueError(f"{error}: not a value file") from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None


class OptionValues:
    """The values of one command's options by long name (`expect-status`); None means not given.

    With `env`, as a suite file is read, `NAME-env = "VAR"` and `NAME-file = "PATH"` stand
    for `NAME` (its value from a variable or a file, so that a token is not in the file).
    `finish()` refuses whatever no one read: a key that is no option of the command.
    """

    def __init__(self, values: Mapping[str, Any], command: str, env: Mapping[str, str] | None = None) -> None:
        self._values = {key: value for key, value in values.items() if value is not None}
        self._read: set[str] = set()
        self.command = command
        self._env = env

    def given(self, name: str) -> bool:
        return self._raw(name, peek=True) is not None

    def _raw(self, name: str, peek: bool = False) -> Any:
        if name in self._values:
            if not peek:
                self._read.add(name)
            return self._values[name]
        if self._env is None:
            return None
        for suffix in ("-env", "-file"):
            key = name + suffix
            if key in self._values and key not in self._read:  # not an option of its own (heartbeat's db-env)
                if not peek:
                    self._read.add(key)
                return self._secret(key, self._values[key])
        return None

    def _secret(self, key: str, value: Any) -> str:
        assert self._env is not None
        if not isinstance(value, str):
            raise OptionError(key, "must be a string naming a variable or a file")
        if key.endswith("-env"):
            if value not in self._env:
                raise OptionError(key, f"environment variable {value} is not set")
            return self._env[value]
        try:
            return read_value_file(value)
        except ValueError as error:
            raise OptionError(key, str(error)) from None

    def _scalar(self, name: str) -> Any:
        value = self._raw(name)
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                raise OptionError(name, "takes one value, not a list")
            value = value[0]
        if isinstance(value, dict):
            raise OptionError(name, "takes one value, not a table")
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        """A string (a number is taken as its text: `timeout = 30` in a suite file)."""
        value = self._scalar(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise OptionError(name, "must be a string")
        return value if isinstance(value, str) else str(value)

    def texts(self, name: str) -> tuple[str, ...]:
        """A repeatable option: one string or a list of them (in a suite, its -env and -file forms add to it)."""
        items: list[Any] = []
        for key in (name, f"{name}-env", f"{name}-file") if self._env is not None else (name,):
            value = self._values.get(key)
            if value is None or key in self._read:
                continue
            self._read.add(key)
            listed = value if isinstance(value, (list, tuple)) else [value]
            items += listed if key == name else [self._secret(key, item) for item in listed]
        if not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in items):
            raise OptionError(name, "must be a string or a list of strings")
        return tuple(item if isinstance(item, str) else str(item) for item in items)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._scalar(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise OptionError(name, "must be true or false")
        return value

    def whole(self, name: str, default: int | None = None, minimum: int | None = None) -> int | None:
        """A whole number, written as one or as its digits."""
        value = self._scalar(name)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise OptionError(name, f"{value!r} is not a whole number")
        if minimum is not None and value < minimum:
            raise OptionError(name, f"{value} is below {minimum}")
        return value

    def parsed(self, name: str, parse: Callable[[str], Value], default: Value | None = None, *,
               flag: str | None = None) -> Value | None:
        """The text read by `parse`; its ParseError or ValueError names this option (as `flag` if given)."""
        text = self.text(name)
        if text is None:
            return default
        try:
            return parse(text)
        except (ParseError, ValueError, OverflowError) as error:
            raise OptionError(name, str(error), flag) from None

    def duration(self, name: str, default: float | None = None, positive: bool = False, *,
                 flag: str | None = None) -> float | None:
        value = self.parsed(name, parse_duration, default, flag=flag)
        if positive and value is not None and value <= 0:
            raise OptionError(name, f"{self.text(name)!r} (it must be above zero)", flag)
        return value

    def bytes(self, name: str, default: int) -> int:
        """A size in whole bytes, at least one (`10MiB`, `512KB`, `4096`)."""
        from cronchecks.core.thresholds import parse_size

        size = self.parsed(name, parse_size)
        if size is None:
            return default
        if size < 1:
            raise OptionError(name, f"{self.text(name)!r} (at least 1 byte)")
        return int(size)

    def state(self, name: str, default: Status) -> Status:
        """A state name (ok, warning, critical, unknown). Never `parsed(...) or default`: OK is 0, and falsy."""
        found = self.parsed(name, Status.parse)
        return default if found is None else found

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        text = (self.text(name) or default).strip().lower()
        if text not in choices:
            raise OptionError(name, f"{text!r} ({', '.join(choices)})")
        return text

    def unread(self) -> list[str]:
        return [key for key in self._values if key not in self._read]

    def finish(self) -> None:
        """Every value was read by someone; one that was not is no option of this command."""
        for key in self.unread():
            raise OptionError(key, f"not an option of {self.command} (see {self.command} --help)")
