"""Log patterns: compiled once, asked which lines of a buffer may match and whether a span does.

Finding and deciding are kept apart. `candidate_lines` names every line of a buffer that
may hold a match (a superset, found by the fastest engine at hand: `bytes.find` for
literals, Hyperscan when installed, else a literal prefilter or `re` over the buffer);
`Pattern.matches` then decides one line or record exactly with RE2 in Python's regex meaning
(cronchecks.support.patterns), so every engine counts the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from heapq import merge
from typing import NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.support.patterns import Regex, compile_pattern

ENGINES = ("auto", "hyperscan", "re")


class Pattern:
    """One pattern as the user gave it, with its exact matcher on spans of a buffer."""

    __slots__ = ("alternatives", "flag", "ignore_case", "literal", "regex", "text")

    def __init__(self, text: str, flag: str, *, fixed: bool, ignore_case: bool) -> None:
        self.text = text
        self.flag = flag
        self.ignore_case = ignore_case
        raw = text.encode("utf-8")
        if not raw:
            raise UsageError(f"empty {flag} pattern (it would match every line)")
        literal = raw if fixed else _as_literal(text)
        if literal is not None and ignore_case and not literal.isascii():
            literal = None  # bytes.lower() folds ASCII only; let re decide such a pattern
        self.literal = literal.lower() if literal is not None and ignore_case else literal
        # `ERROR|CRITICAL:`: literals one of which a line holds exactly when the regex matches it, so a
        # candidate line is decided by bytes.find instead of a regex call (most of a regex scan's cost per hit)
        alternatives = None if fixed or literal is not None else _as_alternatives(text)
        if alternatives is not None and ignore_case:
            alternatives = [a.lower() for a in alternatives] if all(a.isascii() for a in alternatives) else None
        self.alternatives = alternatives
        # RE2 (linear time) with Python's meaning, over bytes as a bytes pattern of `re` reads them: a
        # backtracking pattern must not hold the interpreter past -t (which `re` would, for hours).
        self.regex = compile_pattern(f"{flag} regex", re.escape(text) if fixed else text, multiline=True,
                                     ignore_case=ignore_case, binary=True,
                                     hint="exclude lines with --exclude rather than lookaround")
        if not fixed and self.regex.search(b"") is not None:
            raise UsageError(f"{flag} {text!r} matches an empty line, so it would count every line")

    def matches(self, buf: bytes | bytearray, folded: bytes | bytearray | None, start: int, end: int) -> bool:
        """Whether the span [start, end) of `buf` (whole lines) holds a match."""
        if self.literal is not None and not self.ignore_case:
            return buf.find(self.literal, start, end) >= 0
        if self.literal is not None and folded is not None:
            return folded.find(self.literal, start, end) >= 0
        if self.alternatives is not None:
            haystack = folded if self.ignore_case else buf
            if haystack is not None:
                return any(haystack.find(a, start, end) >= 0 for a in self.alternatives)
        return self.regex.search(buf, start, end) is not None

    def __repr__(self) -> str:
        return f"Pattern({self.flag} {self.text!r})"


def _as_alternatives(text: str) -> list[bytes] | None:
    """The literals of a pattern that is only literals joined by `|` (`ERROR|CRITICAL:`), else None."""
    if "|" not in text:
        return None
    parts = text.split("|")
    literals = [_as_literal(part) if part else None for part in parts]
    if any(literal is None for literal in literals):
        return None
    return [literal for literal in literals if literal is not None]


def _as_literal(text: str) -> bytes | None:
    """The pattern's bytes when it has no regex syntax at all (`CRITICAL:`, `disk full`)."""
    if re.escape(text) == text or all(ch.isalnum() or ch in " _-:,;'\"/=<>@#%&!~`" for ch in text):
        return text.encode("utf-8")
    return None


# --- finding candidate lines --------------------------------------------------------------


class LineHit(NamedTuple):
    """The bounds of one line that may match: start, and end (its newline or the buffer end)."""

    start: int
    end: int


class CandidateFinder:
    """Finds the lines of a buffer that may match any of a set of patterns, in order."""

    def __init__(self, patterns: Iterable[Pattern], engine: str = "auto") -> None:
        self.patterns = list(patterns)
        self.literals = [p for p in self.patterns if p.literal is not None]
        regexes = [p for p in self.patterns if p.literal is None]
        self.needs_fold = any(p.ignore_case for p in self.literals)
        self.hyperscan = None
        self.prefilters: list[bytes] = []
        self.scanned: list[Pattern] = []
        self.engine = "literal" if not regexes else "re"
        if regexes and engine in ("auto", "hyperscan"):
            self.hyperscan = _hyperscan_database(self.patterns, required=engine == "hyperscan")
            if self.hyperscan is not None:
                self.engine = "hyperscan"
                self.needs_fold = False
                self.literals = []
                return
        for pattern in regexes:
            required = required_literals(pattern)
            if required is None:
                self.scanned.append(pattern)
            else:
                self.prefilters.extend(required)
                self.needs_fold = self.needs_fold or pattern.ignore_case
        if regexes and not self.scanned:
            self.engine = "prefilter"

    def describe(self) -> str:
        return self.engine

    def lines(self, buf: bytes | bytearray, folded: bytes | bytearray | None, end: int) -> Iterator[LineHit]:
        """Every line in buf[:end] that may match, once each, in order."""
        if self.hyperscan is not None:
            return _dedup(_hyperscan_hits(self.hyperscan, buf, end), buf, end)
        sources: list[Iterator[int]] = []
        for p in self.literals:
            # self.literals are the patterns with a literal; a caseless one's is looked for in the folded
            # copy, which the caller makes whenever needs_fold (a caseless literal) says so
            haystack = folded if p.ignore_case else buf
            assert p.literal is not None and haystack is not None, "a literal, and the folded copy needs_fold asks for"
            sources.append(_find_all(haystack, p.literal, end))
        sources.extend(_find_all(folded if folded is not None else buf, literal, end) for literal in self.prefilters)
        sources.extend(_search_all(pattern.regex, buf, end) for pattern in self.scanned)
        if len(sources) == 1:
            return _dedup(sources[0], buf, end)
        return _dedup(merge(*sources), buf, end)


def _find_all(buf: bytes | bytearray, needle: bytes, end: int) -> Iterator[int]:
    # One bytes.find per matching line: the C search runs over everything in between.
    find = buf.find
    pos = find(needle, 0, end)
    while pos >= 0:
        yield pos
        line_end = find(b"\n", pos, end)
        if line_end < 0:
            return
        pos = find(needle, line_end + 1, end)


def _search_all(regex: Regex, buf: bytes | bytearray, end: int) -> Iterator[int]:
    if end < len(buf):
        # One copy of what is searched: the regex then sees its real end without a copy per search.
        buf = bytes(buf[:end])
    search = regex.search
    find = buf.find
    match = search(buf, 0, end)
    while match is not None:
        yield match.start()
        line_end = find(b"\n", match.start(), end)
        if line_end < 0:
            return
        match = search(buf, line_end + 1, end)


def _dedup(positions: Iterable[int], buf: bytes | bytearray, end: int) -> Iterator[LineHit]:
    find, rfind = buf.find, buf.rfind
    line_end = -1
    for pos in positions:
        if pos <= line_end:
            continue
        start = rfind(b"\n", 0, pos) + 1
        line_end = find(b"\n", pos, end)
        if line_end < 0:
            line_end = end
        yield LineHit(start, line_end)


# --- Hyperscan (optional): a multi-pattern engine made for scanning big buffers ----------------


def _hyperscan_database(patterns: list[Pattern], required: bool):
    try:
        import hyperscan
    except ImportError:
        if required:
            from cronchecks.core.errors import MissingExtra

            raise MissingExtra("hyperscan", "hyperscan") from None
        return None
    # PREFILTER: Hyperscan may report more than the pattern matches (and accepts what it
    # cannot run exactly, such as back-references); every hit is verified with `re`.
    flags = []
    for pattern in patterns:
        flag = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_ALLOWEMPTY
        if pattern.ignore_case:
            flag |= hyperscan.HS_FLAG_CASELESS
        flags.append(flag)
    expressions: list[bytes] = []
    for p in patterns:
        expression = re.escape(p.literal) if p.literal is not None else p.regex.pattern
        assert isinstance(expression, bytes), "check-log's patterns are compiled as bytes (binary=True)"
        expressions.append(expression)
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(expressions=expressions, ids=list(range(len(patterns))), flags=flags)
    except Exception as error:  # hyperscan.error: a syntax it does not know; `re` will do
        if required:
            raise UsageError(f"hyperscan cannot compile these patterns: {error}") from None
        return None
    return database


def _hyperscan_hits(database, buf: bytes | bytearray, end: int) -> list[int]:
    hits: list[int] = []
    add = hits.append

    def on_match(_id: int, _start: int, stop: int, _flags: int, _context: object) -> None:
        add(stop - 1 if stop > 0 else 0)

    database.scan(buf if end == len(buf) else memoryview(buf)[:end], match_event_handler=on_match)
    hits.sort()
    return hits


# --- the literals a regex cannot match without ------------------------------------------------


def required_literals(pattern: Pattern) -> list[bytes] | None:
    """Literals one of which every match must contain (folded when case is ignored), or None.

    `ERROR|CRIT(ICAL)?:` -> [b"ERROR", b"CRIT"]; `timeout after \\d+ s` -> [b"timeout after "].
    None when a match can avoid every literal of three bytes or more (`\\d+ ms`, `[EW]RR`),
    which leaves the pattern to `re` over the buffer.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern.regex.pattern, pattern.regex.flags)
    except Exception:  # an interpreter without re._parser: no prefilter, still correct
        return None
    found = _sequence_literals(list(tree))
    if not found or min(len(x) for x in found) < 3:
        return None
    if pattern.ignore_case:
        if not all(x.isascii() for x in found):
            return None
        found = [x.lower() for x in found]
    return sorted(set(found))


def _sequence_literals(items: list) -> list[bytes] | None:
    from re import _constants as c  # type: ignore[attr-defined]

    best: list[bytes] | None = None
    run = bytearray()

    def consider(option: list[bytes] | None) -> None:
        nonlocal best
        if option and (best is None or _strength(option) > _strength(best)):
            best = option

    for op, arg in items:
        if op is c.LITERAL and arg < 256:
            run.append(arg)
            continue
        if run:
            consider([bytes(run)])
            run = bytearray()
        if op is c.SUBPATTERN:
            consider(_sequence_literals(list(arg[-1])))
        elif op is c.BRANCH:
            options = [_sequence_literals(list(alternative)) for alternative in arg[1]]
            if all(options):
                consider([literal for option in options for literal in option])  # type: ignore[union-attr]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and arg[0] >= 1:
            consider(_sequence_literals(list(arg[2])))
        elif op is c.ATOMIC_GROUP:
            consider(_sequence_literals(list(arg)))
    if run:
        consider([bytes(run)])
    return best


def _strength(option: list[bytes]) -> tuple[int, int]:
    # Fewer, longer literals make a better filter: each one costs a pass over the buffer.
    return (min(len(x) for x in option), -len(option))
