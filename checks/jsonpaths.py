"""RFC 9535 JSONPath queries (python-jsonpath in strict mode) over decoded JSON bodies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any


class JsonPathError(ValueError):
    """An expression that is not valid RFC 9535 JSONPath; the message says where."""


@lru_cache(maxsize=1)
def _environment() -> Any:
    # Imported here: python-jsonpath costs ~150 ms to import, paid only by checks that query JSON.
    from jsonpath import JSONPathEnvironment

    return JSONPathEnvironment(strict=True)


@dataclass(frozen=True)
class CompiledPath:
    """A compiled query; `values` returns the matched values in document order."""

    text: str
    query: Any

    def values(self, document: Any) -> list[Any]:
        return [match.obj for match in self.query.finditer(document)]


def compile_path(text: str) -> CompiledPath:
    """Compile a JSONPath such as `$.checks.database`; errors become JsonPathError."""
    from jsonpath import JSONPathError

    if not text.strip():
        raise JsonPathError("empty JSONPath (e.g. '$.status')")
    try:
        return CompiledPath(text, _environment().compile(text.strip()))
    except JSONPathError as error:
        raise JsonPathError(f"{text!r}: {str(error).splitlines()[0]}") from None
