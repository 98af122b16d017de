"""Typed reasons a check could not decide; each becomes one UNKNOWN line."""

from __future__ import annotations


class CheckError(Exception):
    """The check could not decide (bad input, unreadable source): UNKNOWN."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CheckError):
    """The arguments are wrong: a bad value, a missing option, options that clash."""


class DeadlinePassed(CheckError):
    """The run's deadline passed before the check could decide: the timeout state, as if the
    watchdog had answered (it would have, at the same instant), never UNKNOWN."""


class MissingExtra(CheckError):
    """An optional dependency is not installed; the message says how to add it."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"this needs the optional '{extra}' extra ({module} is not installed): "
            f"pip install 'cronchecks[{extra}]'"
        )
        self.module = module
        self.extra = extra


def require(module: str, extra: str):
    """Import an optional dependency, or raise MissingExtra naming the pip command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(module, extra) from None
