"""Reading option values (durations, sizes, percentages): a mistake is one UsageError naming the option."""

from __future__ import annotations

from typing import Callable, TypeVar

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import ParseError, parse_duration


Value = TypeVar("Value")


def option_value(flag: str, text: str | None, parse: Callable[[str], Value] = parse_duration, *,  # type: ignore[assignment]
                 positive: bool = False) -> Value | None:
    """`text` read by `parse` (a duration unless said otherwise); None stays None.

    `positive` refuses zero and below, as time limits and windows must be.
    """
    if text is None:
        return None
    try:
        value = parse(text)
    except ParseError as error:
        raise UsageError(f"invalid {flag}: {error}") from None
    if positive and value <= 0:  # type: ignore[operator]
        raise UsageError(f"invalid {flag}: {text!r} (it must be above zero)")
    return value
