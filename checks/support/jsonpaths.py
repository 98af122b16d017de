"""RFC 9535 JSONPath queries (python-jsonpath in strict mode) over decoded JSON bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple


class JsonPathError(ValueError):
    """An expression that is not valid RFC 9535 JSONPath; the message says where."""


@lru_cache(maxsize=1)
def _environment() -> Any:
    # Imported here: python-jsonpath costs ~150 ms to import, paid only by checks that query JSON.
    from jsonpath import JSONPathEnvironment

    return JSONPathEnvironment(strict=True)


@dataclass(frozen=True)
class CompiledPath:
    """A compiled query; `values` returns the matched values in document order.

    `query` is python-jsonpath's compiled query, or for a plain singular path a tuple of
    member names and indices walked here (see simple_segments).
    """

    text: str
    query: Any

    def values(self, document: Any) -> list[Any]:
        if isinstance(self.query, tuple):
            return _walk(self.query, document)
        if not isinstance(document, (dict, list)):
            # python-jsonpath would parse a str document as JSON text again (the body
            # "0" as the number 0); on a scalar root these queries select nothing anyway.
            return []
        return [match.obj for match in self.query.finditer(document)]


# Names, quoted names without escapes, and indices: what `$.checks.database`,
# `$['odd key']` and `$.items[0]` are made of. Anything else goes to python-jsonpath.
_SIMPLE_SEGMENT = re.compile(
    r"\.([A-Za-z_][A-Za-z0-9_]*)"
    r"|\[[ \t\n\r]*(?:'([^'\\\x00-\x1f]*)'|\"([^\"\\\x00-\x1f]*)\"|(0|-?[1-9][0-9]{0,14}))[ \t\n\r]*\]"
)


def simple_segments(text: str) -> tuple[str | int, ...] | None:
    """The names and indices of a plain singular path, or None when it needs the full library.

    python-jsonpath costs ~150 ms to import, more than the rest of a check; the paths
    health checks use most (`$.status`, `$.checks.database`) need none of it.
    """
    if not text.startswith("$"):
        return None
    segments: list[str | int] = []
    pos = 1
    while pos < len(text):
        match = _SIMPLE_SEGMENT.match(text, pos)
        if match is None:
            return None
        name, single, double, index = match.groups()
        if index is not None:
            segments.append(int(index))
        else:
            segments.append(next(part for part in (name, single, double) if part is not None))
        pos = match.end()
    return tuple(segments)


def _walk(segments: tuple[str | int, ...], document: Any) -> list[Any]:
    # RFC 9535: a name selects only from an object, an index only from an array
    # (negative from its end); anything else selects nothing.
    node = document
    for segment in segments:
        if isinstance(segment, str):
            if not isinstance(node, dict) or segment not in node:
                return []
            node = node[segment]
        else:
            if not isinstance(node, list) or not -len(node) <= segment < len(node):
                return []
            node = node[segment]
    return [node]


def compile_path(text: str) -> CompiledPath:
    """Compile a JSONPath such as `$.checks.database`; errors become JsonPathError."""
    if not text.strip():
        raise JsonPathError("empty JSONPath (e.g. '$.status')")
    segments = simple_segments(text.strip())
    if segments is not None:
        return CompiledPath(text, segments)
    from jsonpath import JSONPathError

    try:
        return CompiledPath(text, _environment().compile(text.strip()))
    except JSONPathError as error:
        raise JsonPathError(f"{text!r}: {str(error).splitlines()[0]}") from None


# --- expectations: a path with an optional comparison ------------------------------------

COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


class ExpressionParts(NamedTuple):
    """`PATH [OPERATOR LITERAL]` split apart, still as text."""

    path: str
    operator: str | None
    literal: str | None


def split_expression(text: str) -> ExpressionParts:
    """Split at the first comparison outside brackets, parentheses and quotes.

    A filter inside the path (`$.workers[?@.type == "mailer"].beat`) has its own
    comparisons; only one at the top level compares the matched values.
    """
    depth = 0
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth = max(0, depth - 1)
        elif depth == 0 and char in "=!<>":
            pair = text[index:index + 2]
            operator = pair if pair in COMPARISONS else char if char in "<>" else None
            if operator is None:
                raise JsonPathError(f"{text!r}: {char!r} is not a comparison (use ==, !=, <, <=, >, >=)")
            return ExpressionParts(text[:index].strip(), operator, text[index + len(operator):].strip())
        index += 1
    return ExpressionParts(text.strip(), None, None)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_literal(text: str) -> Any:
    """A JSON literal (`"OK"`, `100`, `true`, `null`, `[1, 2]`); 'single quotes' make a string too."""
    import json

    if len(text) >= 2 and text[0] == text[-1] == "'":
        inner = text[1:-1].replace("\\'", "'").replace('"', '\\"')
        text = f'"{inner}"'
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        hint = f" (strings need quotes: \"{text}\")" if text and text[0] not in "\"'[{-0123456789" else ""
        raise JsonPathError(f"{text!r} is not a JSON literal{hint}") from None


class JsonExpectation(NamedTuple):
    """A condition on a JSON document: every value the path matches must satisfy it."""

    text: str
    path: CompiledPath
    operator: str | None  # None: the values must exist and be true-ish
    expected: Any = None

    def failure(self, document: Any) -> str | None:
        """None when the document meets the condition, else what was found instead."""
        values = self.path.values(document)
        if not values:
            return f"nothing at {self.path.text}"
        for value in values:
            if not holds(value, self.operator, self.expected):
                verb = "has" if len(values) > 1 else "is"
                wanted = "a true value" if self.operator is None else f"{self.operator} {show_value(self.expected)}"
                return f"{self.path.text} {verb} {show_value(value)}, expected {wanted}"
        return None


def parse_expectation(text: str) -> JsonExpectation:
    """Compile `$.status == "healthy"`, `$.latency_ms < 100` or a bare `$.ok`."""
    parts = split_expression(text)
    if parts.operator is not None and not parts.literal:
        raise JsonPathError(f"{text!r}: nothing after {parts.operator} (e.g. {parts.path} {parts.operator} \"OK\")")
    expected = parse_literal(parts.literal) if parts.literal is not None else None
    if parts.operator in ("<", "<=", ">", ">=") and (
            isinstance(expected, bool) or not isinstance(expected, (int, float, str))):
        raise JsonPathError(f"{text!r}: {parts.operator} compares numbers or strings, not {show_value(expected)}")
    try:
        path = compile_path(parts.path)
    except JsonPathError as error:
        raise JsonPathError(f"{text!r}: {error}") from None
    return JsonExpectation(text, path, parts.operator, expected)


def same_value(left: Any, right: Any) -> bool:
    """JSON equality: `true` is not `1`, `1` is `1.0`, containers compare deeply."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_value(left[key], right[key]) for key in left)
    return left == right


def holds(value: Any, operator: str | None, expected: Any) -> bool:
    """Whether one matched value satisfies the comparison (ordering needs like types)."""
    if operator is None:
        return bool(value)
    if operator == "==":
        return same_value(value, expected)
    if operator == "!=":
        return not same_value(value, expected)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (value, expected))
    strings = isinstance(value, str) and isinstance(expected, str)
    if not (numbers or strings):
        return False
    if operator == "<":
        return value < expected
    if operator == "<=":
        return value <= expected
    if operator == ">":
        return value > expected
    return value >= expected


def show_value(value: Any, limit: int = 60) -> str:
    """A value as JSON, cut short for a summary line."""
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
