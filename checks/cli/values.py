"""Reading option values (durations, sizes, percentages): a mistake is one UsageError naming the option."""

from __future__ import annotations

from typing import Callable

from checks.errors import UsageError
from checks.thresholds import ParseError, parse_duration


def option_value(flag: str, text: str | None, parse: Callable[[str], float] = parse_duration, *,
                 positive: bool = False) -> float | None:
    """`text` read by `parse` (a duration unless said otherwise); None stays None.

    `positive` refuses zero and below, as time limits and windows must be.
    """
    if text is None:
        return None
    try:
        value = parse(text)
    except ParseError as error:
        raise UsageError(f"invalid {flag}: {error}") from None
    if positive and value <= 0:
        raise UsageError(f"invalid {flag}: {text!r} (it must be above zero)")
    return value
